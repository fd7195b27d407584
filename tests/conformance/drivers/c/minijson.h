/* The little JSON the C driver needs (driver.c): a string builder that writes JSON, base64,
 * and reading: find a member of an object, walk an array, unescape a string. Values are read
 * as spans of the raw text, so event arguments pass through untouched. Header-only: static
 * functions, included once. */
#ifndef CONFORMANCE_MINIJSON_H
#define CONFORMANCE_MINIJSON_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ string builder */
typedef struct {
    char *p;
    size_t n, cap;
} sb;

static void sb_add(sb *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_s(sb *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_f(sb *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
/* a JSON string literal */
static void sb_q(sb *b, const char *s, size_t n) {
    sb_s(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') sb_s(b, "\\\"");
        else if (c == '\\') sb_s(b, "\\\\");
        else if (c == '\n') sb_s(b, "\\n");
        else if (c < 0x20) sb_f(b, "\\u%04x", c);
        else sb_add(b, (const char *)&c, 1);
    }
    sb_s(b, "\"");
}
static void sb_qs(sb *b, const char *s) { sb_q(b, s ? s : "", s ? strlen(s) : 0); }
/* raw JSON text, or null when empty */
static void sb_raw(sb *b, const char *s, size_t n) {
    if (s && n) sb_add(b, s, n);
    else sb_s(b, "null");
}

/* ------------------------------------------------------------------ base64 */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void sb_b64(sb *b, const uint8_t *p, size_t n) {
    sb_s(b, "\"");
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char out[4] = {B64[v >> 18 & 63], B64[v >> 12 & 63], i + 1 < n ? B64[v >> 6 & 63] : '=', i + 2 < n ? B64[v & 63] : '='};
        sb_add(b, out, 4);
    }
    sb_s(b, "\"");
}

static uint8_t *b64_decode(const char *s, size_t n, size_t *out_len) {
    uint8_t *out = malloc(n / 4 * 3 + 3);
    size_t o = 0;
    uint32_t v = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = strchr(B64, s[i]);
        if (s[i] == '=' || !k || !s[i]) continue;
        v = v << 6 | (uint32_t)(k - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(v >> bits);
        }
    }
    *out_len = o;
    return out;
}

/* ------------------------------------------------------------------ minimal JSON reading */
typedef struct {
    const char *p;
    size_t n;
} span; /* the raw text of one JSON value */

static const char *ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static const char *skip_string(const char *p, const char *e) {
    for (p++; p < e; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return e;
}

/* the end of the value starting at p */
static const char *skip_value(const char *p, const char *e) {
    p = ws(p, e);
    if (p >= e) return e;
    if (*p == '"') return skip_string(p, e);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < e; p++) {
            if (*p == '"') {
                p = skip_string(p, e) - 1;
            } else if (*p == '{' || *p == '[') {
                depth++;
            } else if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
        }
        return e;
    }
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n') p++;
    return p;
}

/* member `key` of object `obj` */
static bool get(span obj, const char *key, span *out) {
    const char *p = obj.p, *e = obj.p + obj.n;
    p = ws(p, e);
    if (p >= e || *p != '{') return false;
    p++;
    size_t klen = strlen(key);
    for (;;) {
        p = ws(p, e);
        if (p >= e || *p == '}') return false;
        if (*p != '"') return false;
        const char *ks = p + 1, *kend = skip_string(p, e);
        bool hit = (size_t)(kend - 1 - ks) == klen && memcmp(ks, key, klen) == 0;
        p = ws(kend, e);
        if (p >= e || *p != ':') return false;
        p = ws(p + 1, e);
        const char *vend = skip_value(p, e);
        if (hit) {
            out->p = p;
            out->n = (size_t)(vend - p);
            return true;
        }
        p = ws(vend, e);
        if (p < e && *p == ',') p++;
    }
}

/* next element of an array; *cur starts at NULL */
static bool next(span arr, const char **cur, span *out) {
    const char *e = arr.p + arr.n;
    const char *p = *cur ? *cur : ws(arr.p, e) + 1;
    p = ws(p, e);
    if (p < e && *p == ',') p = ws(p + 1, e);
    if (p >= e || *p == ']') return false;
    const char *vend = skip_value(p, e);
    out->p = p;
    out->n = (size_t)(vend - p);
    *cur = vend;
    return true;
}

/* a JSON string value, unescaped, NUL-terminated (malloc'd); NULL if not a string */
static char *str(span v) {
    if (v.n < 2 || v.p[0] != '"') return NULL;
    sb b = {0};
    sb_s(&b, "");
    for (size_t i = 1; i + 1 < v.n; i++) {
        char c = v.p[i];
        if (c != '\\') {
            sb_add(&b, &c, 1);
            continue;
        }
        c = v.p[++i];
        switch (c) {
        case 'n': sb_s(&b, "\n"); break;
        case 't': sb_s(&b, "\t"); break;
        case 'r': sb_s(&b, "\r"); break;
        case 'b': sb_s(&b, "\b"); break;
        case 'f': sb_s(&b, "\f"); break;
        case 'u': {
            unsigned cp = 0;
            sscanf(v.p + i + 1, "%4x", &cp);
            i += 4;
            char u[4];
            if (cp < 0x80) { u[0] = (char)cp; sb_add(&b, u, 1); }
            else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); sb_add(&b, u, 2); }
            else { u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | (cp >> 6 & 63)); u[2] = (char)(0x80 | (cp & 63)); sb_add(&b, u, 3); }
            break;
        }
        default: sb_add(&b, &c, 1);
        }
    }
    return b.p;
}

static char *get_str(span obj, const char *key) {
    span v;
    return get(obj, key, &v) ? str(v) : NULL;
}
static bool get_num(span obj, const char *key, double *out) {
    span v;
    if (!get(obj, key, &v) || v.n == 0 || v.p[0] == '"' || v.p[0] == 'n') return false;
    *out = strtod(v.p, NULL);
    return true;
}
static bool get_bool(span obj, const char *key, bool dflt) {
    span v;
    if (!get(obj, key, &v)) return dflt;
    return v.n >= 4 && memcmp(v.p, "true", 4) == 0;
}

#endif
