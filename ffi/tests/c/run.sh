#!/usr/bin/env bash
# Builds and runs the C/C++ tests of libsio, three ways: plain, AddressSanitizer +
# UndefinedBehaviorSanitizer (with LeakSanitizer), and Valgrind memcheck. Then installs
# the library into a temporary prefix with ffi/pkg/install.sh (checking its SONAME and
# symlinks), builds examples/c against it through pkg-config and runs the chat example
# once, installs it again staged (DESTDIR, LIBDIR), and builds a CMake consumer against
# both.
#
#   ffi/tests/c/run.sh                 # everything
#   SIO_C_MODES="plain asan" ffi/tests/c/run.sh
#   SIO_C_TESTS="test_args test_cpp" ffi/tests/c/run.sh
#   SIO_C_TESTS_SUPPRESS_KNOWN=1 ...   # also suppress open, reported bugs (known-bugs.*)
#   SIO_TEST_VERBOSE=1 ...             # echo every line the Node peers print
#
# Prints one line per test and mode, then `N passed, N failed`; exits 1 on any failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
cd "$ROOT"
TREE_LIB="$ROOT/target/debug"
OUT="${SIO_C_OUT:-$ROOT/target/c-tests}"
MODES="${SIO_C_MODES:-plain asan valgrind}"
mkdir -p "$OUT"
export SIO_REPO="$ROOT"

passed=0
failed=0
failures=()
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf 'FAIL  %s%s\n' "$1" "${2:+ ($2)}"; }

# ---------------------------------------------------------------- build libsio (debug)
if ! cargo build -q -p sio-ffi; then
  echo "cargo build -p sio-ffi failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# libsio.so has the SONAME libsio.so.MAJOR, which the test programs record as NEEDED and
# look up in $TREE_LIB (their rpath): ffi/build.rs puts a libsio.so.MAJOR -> libsio.so
# symlink there; make sure it is there (a build script does not run again when the
# symlink alone was removed).
SONAME=$(readelf -d "$TREE_LIB/libsio.so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ -n "$SONAME" ]; then
  [ -e "$TREE_LIB/$SONAME" ] || ln -sfn libsio.so "$TREE_LIB/$SONAME"
fi
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)
VER3=${VERSION%%[-+]*}
SONAME_WANT="libsio.so.${VER3%%.*}"

# ---------------------------------------------------------------- compile
C_TESTS=$(cd "$HERE" && ls test_*.c | sed 's/\.c$//')
CXX_TESTS=$(cd "$HERE" && ls test_*.cpp | sed 's/\.cpp$//')
SELECTED="${SIO_C_TESTS:-$C_TESTS $CXX_TESTS}"
CFLAGS=(-std=c11 -Wall -Wextra -Werror -g -I "$ROOT/include")
CXXFLAGS=(-std=c++17 -Wall -Wextra -Werror -g -I "$ROOT/include")
LINK=(-L"$TREE_LIB" -lsio -Wl,-rpath,"$TREE_LIB" -lpthread)
SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

compile() { # name flavour(plain|asan)
  local name=$1 flavour=$2 extra=() src cc flags
  [ "$flavour" = asan ] && extra=("${SAN[@]}")
  if [ -f "$HERE/$name.cpp" ]; then src="$HERE/$name.cpp"; cc=g++; flags=("${CXXFLAGS[@]}")
  else src="$HERE/$name.c"; cc=gcc; flags=("${CFLAGS[@]}"); fi
  "$cc" "${flags[@]}" "${extra[@]}" -o "$OUT/$name.$flavour" "$src" "${LINK[@]}" 2>"$OUT/$name.$flavour.build.log"
}

for t in $SELECTED; do
  for flavour in plain asan; do
    case " $MODES " in *" asan "*) ;; *) [ "$flavour" = asan ] && continue ;; esac
    if ! compile "$t" "$flavour"; then
      fail "$t [build $flavour]" "see $OUT/$t.$flavour.build.log"
      cat "$OUT/$t.$flavour.build.log"
    fi
  done
done

# ---------------------------------------------------------------- Redis for test_cluster
# A private redis-server on a free loopback port (Debian: apt-get install redis-server).
REDIS_PID=""
if command -v redis-server >/dev/null 2>&1; then
  REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$OUT/redis.log" 2>&1 &
  REDIS_PID=$!
  trap '[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null' EXIT
  export SIO_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  for _ in $(seq 50); do grep -q "Ready to accept" "$OUT/redis.log" && break; sleep 0.1; done
fi

# ---------------------------------------------------------------- run
VG_SUPP=(--suppressions="$HERE/valgrind.supp")
LSAN_SUPP=""
if [ -n "${SIO_C_TESTS_SUPPRESS_KNOWN:-}" ]; then
  VG_SUPP+=(--suppressions="$HERE/known-bugs.supp")
  LSAN_SUPP=":suppressions=$HERE/known-bugs.lsan"
fi

run_one() { # name mode
  local name=$1 mode=$2 bin log rc
  log="$OUT/$name.$mode.log"
  case $mode in
    plain)
      bin="$OUT/$name.plain"
      [ -x "$bin" ] || return 0
      timeout 150 "$bin" >"$log" 2>&1; rc=$? ;;
    asan)
      bin="$OUT/$name.asan"
      [ -x "$bin" ] || return 0
      # detect_leaks=1: LeakSanitizer runs at exit. No suppression is needed for the Rust
      # runtime (its thread-local handles are still reachable at exit).
      ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
      LSAN_OPTIONS="print_suppressions=0$LSAN_SUPP" \
        timeout 150 "$bin" >"$log" 2>&1; rc=$? ;;
    valgrind)
      bin="$OUT/$name.plain"
      [ -x "$bin" ] || return 0
      SIO_TEST_SCALE=${SIO_TEST_SCALE:-4} timeout 240 valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible \
        --error-exitcode=1 "${VG_SUPP[@]}" "$bin" >"$log" 2>&1; rc=$? ;;
  esac
  if [ "$rc" -eq 0 ] && grep -q "^PASS $name" "$log"; then
    pass "$name [$mode]"
  else
    local why
    why=$(grep -m1 -E "^FAIL|ERROR: |definitely lost|possibly lost|runtime error" "$log" | cut -c1-200)
    [ "$rc" -eq 124 ] && why="timed out"
    fail "$name [$mode]" "exit $rc: ${why:-see $log}; log: $log"
  fi
}

for mode in $MODES; do
  for t in $SELECTED; do
    run_one "$t" "$mode"
  done
done

# ---------------------------------------------------------------- install + examples via pkg-config
if [ -z "${SIO_C_TESTS:-}" ] || [ -n "${SIO_C_EXAMPLES:-}" ]; then
  if [ "$SONAME" = "$SONAME_WANT" ] && [ "$(readlink "$TREE_LIB/$SONAME")" = libsio.so ]; then
    pass "build tree: libsio.so has SONAME $SONAME_WANT, $TREE_LIB/$SONAME_WANT -> libsio.so"
  else
    fail "build tree: libsio.so has SONAME $SONAME_WANT, $TREE_LIB/$SONAME_WANT -> libsio.so" "SONAME '${SONAME}'"
  fi
  PREFIX=$(mktemp -d "${TMPDIR:-/tmp}/sio-prefix.XXXXXX")
  EXB=$(mktemp -d "${TMPDIR:-/tmp}/sio-examples.XXXXXX")
  L="$PREFIX/lib"
  if env -u DESTDIR -u LIBDIR SIO_PROFILE=debug bash "$ROOT/ffi/pkg/install.sh" "$PREFIX" >"$OUT/install.log" 2>&1 \
     && [ -f "$L/pkgconfig/sio.pc" ] && [ -f "$L/cmake/sio/sioConfig.cmake" ] \
     && [ -f "$PREFIX/include/sio.h" ] && [ -f "$PREFIX/include/sio.hpp" ] && [ -f "$L/libsio.a" ]; then
    pass "install.sh into a temporary prefix"
  else
    fail "install.sh into a temporary prefix" "see $OUT/install.log"
  fi
  # The real file libsio.so.VERSION with the SONAME, and the two symlinks.
  if [ -f "$L/libsio.so.$VER3" ] && [ ! -L "$L/libsio.so.$VER3" ] \
     && [ "$(readlink "$L/$SONAME_WANT")" = "libsio.so.$VER3" ] && [ "$(readlink "$L/libsio.so")" = "$SONAME_WANT" ] \
     && readelf -d "$L/libsio.so.$VER3" | grep -q "(SONAME).*\[$SONAME_WANT\]"; then
    pass "installed libsio.so.$VER3 has SONAME $SONAME_WANT; $SONAME_WANT and libsio.so are symlinks to it"
  else
    fail "installed libsio.so.$VER3 has SONAME $SONAME_WANT; $SONAME_WANT and libsio.so are symlinks to it" \
      "$(ls -l "$L" | tr '\n' ' ')"
  fi
  if PKG_CONFIG_PATH="$L/pkgconfig" make -s -C "$ROOT/examples/c" USE_PKG_CONFIG=1 BUILD="$EXB" \
       >"$OUT/examples.build.log" 2>&1 \
     && ldd "$EXB/chat_server" | grep -q "$SONAME_WANT => $L/$SONAME_WANT" \
     && readelf -d "$EXB/chat_server" | grep -q "(NEEDED).*\[$SONAME_WANT\]"; then
    pass "examples/c built with pkg-config against the installed prefix (NEEDED $SONAME_WANT)"
    if timeout 60 bash "$ROOT/examples/c/smoke.sh" "$EXB" >"$OUT/examples.run.log" 2>&1; then
      pass "examples/c chat server + client"
    else
      fail "examples/c chat server + client" "see $OUT/examples.run.log"
    fi
  else
    fail "examples/c built with pkg-config against the installed prefix (NEEDED $SONAME_WANT)" \
      "see $OUT/examples.build.log"
  fi
  if make -s -C "$ROOT/examples/c" BUILD="$EXB/tree" >"$OUT/examples.tree.log" 2>&1; then
    pass "examples/c built against the build tree"
  else
    fail "examples/c built against the build tree" "see $OUT/examples.tree.log"
  fi
  # A staged install (DESTDIR) with its own LIBDIR: the files go under DESTDIR, sio.pc names
  # the final PREFIX and LIBDIR, and no installed file names DESTDIR.
  STAGE=$(mktemp -d "${TMPDIR:-/tmp}/sio-stage.XXXXXX")
  FINAL=/opt/sio-staged-test
  SL="$STAGE$FINAL/lib64"
  if DESTDIR="$STAGE" LIBDIR=lib64 SIO_PROFILE=debug bash "$ROOT/ffi/pkg/install.sh" "$FINAL" \
       >"$OUT/install.staged.log" 2>&1 \
     && [ -f "$SL/libsio.so.$VER3" ] && [ -L "$SL/$SONAME_WANT" ] && [ -L "$SL/libsio.so" ] && [ -f "$SL/libsio.a" ] \
     && [ -f "$STAGE$FINAL/include/sio.h" ] && [ -f "$SL/cmake/sio/sioConfigVersion.cmake" ] \
     && grep -qx "prefix=$FINAL" "$SL/pkgconfig/sio.pc" \
     && grep -qx 'libdir=${exec_prefix}/lib64' "$SL/pkgconfig/sio.pc" \
     && [ "$(PKG_CONFIG_PATH="$SL/pkgconfig" pkg-config --libs sio | xargs)" = "-L$FINAL/lib64 -lsio" ] \
     && ! grep -rq "$STAGE" "$SL/pkgconfig" "$SL/cmake" && [ ! -e "$FINAL" ]; then
    pass "install.sh with DESTDIR and LIBDIR: staged files, sio.pc names PREFIX and LIBDIR"
  else
    fail "install.sh with DESTDIR and LIBDIR: staged files, sio.pc names PREFIX and LIBDIR" \
      "see $OUT/install.staged.log"
  fi
  # find_package(sio) from CMake, shared and static: against the prefix, and against the
  # staged tree (sioConfig.cmake finds the rest relative to its own place, here in
  # LIBDIR=lib64; sio_DIR points at it, since whether find_package searches lib64 depends
  # on the platform). The consumer checks sio_version() against the header's SIO_VERSION_*.
  for tree in prefix staged; do
    CMB=$(mktemp -d "${TMPDIR:-/tmp}/sio-cmake.XXXXXX")
    if [ $tree = prefix ]; then
      lib=$L log="$OUT/cmake.log" what="the prefix" find=(-DCMAKE_PREFIX_PATH="$PREFIX")
    else
      lib=$SL log="$OUT/cmake.staged.log" what="the staged tree (LIBDIR=lib64)" find=(-Dsio_DIR="$SL/cmake/sio")
    fi
    if command -v cmake >/dev/null 2>&1 \
       && cmake -S "$HERE/cmake" -B "$CMB" "${find[@]}" >"$log" 2>&1 \
       && cmake --build "$CMB" >>"$log" 2>&1 \
       && LD_LIBRARY_PATH="$lib" "$CMB/consumer_shared" >>"$log" 2>&1 \
       && "$CMB/consumer_static" >>"$log" 2>&1 \
       && ldd "$CMB/consumer_shared" | grep -q "$SONAME_WANT => $lib/$SONAME_WANT"; then
      pass "CMake find_package(sio) in $what: shared and static consumers build and run"
    else
      fail "CMake find_package(sio) in $what: shared and static consumers build and run" \
        "see $log (cmake installed?)"
    fi
    rm -rf "$CMB"
  done
  rm -rf "$PREFIX" "$EXB" "$STAGE"
fi

echo
for f in "${failures[@]+"${failures[@]}"}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
