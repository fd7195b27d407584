// Matching observations against scenario patterns, and `${...}` references.
//
// A pattern is a JSON value. Objects match partially (every key of the pattern must match,
// extra keys of the observation are ignored); arrays match element by element with the same
// length; other values match by deep equality. Binary values are `{"$bin": "<base64>"}` on both
// sides, so they compare like any object. An object whose only key starts with `$` is a matcher:
//   {"$any": true}        anything, as long as the key is present (and not undefined)
//   {"$absent": true}     the key is missing (or null)
//   {"$ne": v}            anything that does not match v
//   {"$type": "string"}   typeof (plus "array", "null")
//   {"$oneOf": [a, b]}    matches one of the patterns
//   {"$prefix": [a, b]}   an array whose first elements match a, b (more may follow)
//   {"$set": [a, b]}      an array of the same length whose elements match a, b in any order
//   {"$contains": [a]}    an array with, for each pattern, one element matching it
// `$bin` is not a matcher: `{"$bin": "AAE="}` is a literal binary value.

/** True when `v` is a matcher object (`{"$name": arg}`, not `$bin`). */
function matcherOf(v) {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1 || !keys[0].startsWith("$") || keys[0] === "$bin") return null;
  return [keys[0], v[keys[0]]];
}

const typeName = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** Deep equality of JSON values (object key order ignored). */
export function deepEqual(a, b) {
  if (a === b) return true;
  if (typeName(a) !== typeName(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a !== null && typeof a === "object") {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Assigns each pattern a distinct element of `actual` (small arrays: plain backtracking). */
function assign(patterns, actual) {
  const used = new Array(actual.length).fill(false);
  const go = (i) => {
    if (i === patterns.length) return true;
    for (let j = 0; j < actual.length; j++) {
      if (!used[j] && matches(patterns[i], actual[j])) {
        used[j] = true;
        if (go(i + 1)) return true;
        used[j] = false;
      }
    }
    return false;
  };
  return go(0);
}

/** Whether `actual` matches `pattern` (see the top of this file). */
export function matches(pattern, actual) {
  const m = matcherOf(pattern);
  if (m) {
    const [op, arg] = m;
    switch (op) {
      case "$any": return actual !== undefined;
      case "$absent": return actual === undefined || actual === null;
      case "$ne": return !matches(arg, actual);
      case "$type": return typeName(actual) === arg;
      case "$oneOf": return Array.isArray(arg) && arg.some((p) => matches(p, actual));
      case "$prefix":
        return Array.isArray(actual) && Array.isArray(arg) && actual.length >= arg.length &&
          arg.every((p, i) => matches(p, actual[i]));
      case "$set":
        return Array.isArray(actual) && Array.isArray(arg) && actual.length === arg.length && assign(arg, actual);
      case "$contains":
        return Array.isArray(actual) && Array.isArray(arg) && assign(arg, actual);
      default:
        throw new Error(`unknown matcher ${op}`);
    }
  }
  if (Array.isArray(pattern)) {
    return Array.isArray(actual) && actual.length === pattern.length && pattern.every((p, i) => matches(p, actual[i]));
  }
  if (pattern !== null && typeof pattern === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false;
    if (Object.prototype.hasOwnProperty.call(pattern, "$bin")) return deepEqual(pattern, actual);
    return Object.keys(pattern).every((k) => matches(pattern[k], actual[k]));
  }
  return deepEqual(pattern, actual);
}

/** Thrown by `resolve` when a reference cannot be resolved yet (e.g. a client id not seen yet). */
export class Unresolved extends Error {}

const WHOLE = /^\$\{([^}]+)\}$/;
const PART = /\$\{([^}]+)\}/g;

/**
 * Replaces `${...}` references inside strings of `value` (deeply) with `lookup(ref)`. A string
 * that is exactly one reference takes the referenced value as is (any JSON type); references
 * inside a longer string are interpolated as text. `lookup` throws `Unresolved` when it cannot
 * answer yet.
 */
export function resolve(value, lookup) {
  if (typeof value === "string") {
    const whole = value.match(WHOLE);
    if (whole) return lookup(whole[1].trim());
    return value.replace(PART, (_, ref) => {
      const v = lookup(ref.trim());
      return typeof v === "string" ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, lookup));
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolve(v, lookup);
    return out;
  }
  return value;
}

/** `a.b.c` of an object (undefined when a step is missing). */
export function pathGet(obj, path) {
  let cur = obj;
  for (const part of path.split(".")) {
    if (part === "") continue;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = cur[/^\d+$/.test(part) && Array.isArray(cur) ? Number(part) : part];
  }
  return cur;
}
