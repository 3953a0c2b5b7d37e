#!/bin/sh
# regress_dir.sh: regressions of issue 12 in the directory source.
#   defect 3: a blob (or blobs/) swapped for a symbolic link to a file outside the layout
#             while ocidig opens it must never be read (a race run >= 1,000 times);
#   defect 12: a file or folder ocidig cannot read is blob-unreadable (or listing-unreadable)
#             in verify, never "absent" (run as an unprivileged user: as root every file is
#             readable).
. "$TESTS_DIR/lib.sh"

# The real binary behind libtool's wrapper script: exec'ing the script costs a shell, and
# the race needs many runs.
ocidig_real
REAL=$OCIDIG_REAL
REAL_LIBS=$OCIDIG_LIBS
SANITIZED=no
ASAN_OPTIONS=help=1 "$OCIDIG" --version 2>&1 | grep -q AddressSanitizer && SANITIZED=yes

# A layout whose only blob is 4 MiB + 96 bytes of zeros: cat streams a blob over 4 MiB as it
# reads it (smaller ones are checked before the first byte is written), so bytes read from
# a swapped-in file reach standard output.
MARKER=OUTSIDE-THE-LAYOUT-MARKER
mk_race_layout() { # DIR
  mkdir -p "$1/lay/blobs/sha256" "$1/out/blobs/sha256"
  head -c 4194400 /dev/zero >"$1/big"
  hex=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1/big")
  mv "$1/big" "$1/lay/blobs/sha256/$hex"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$1/lay/oci-layout"
  printf '{"schemaVersion":2,"manifests":[]}' >"$1/lay/index.json"
  # outside: a file of the blob's size holding the marker, under the same name
  python3 -c 'import sys; m=(sys.argv[2]+"\n").encode(); open(sys.argv[1],"wb").write((m*(4194400//len(m)+1))[:4194400])' \
    "$1/out/blobs/sha256/$hex" "$MARKER"
}

# ------------------------------------------------------------------ defect 3
race_helper=$T_TMP/regress_dir_race
if ! command -v python3 >/dev/null 2>&1; then
  not_ok "defect 3: python3 is needed to make the race fixture"
elif ! ${CC:-cc} -std=c11 -O2 -o "$race_helper" "$TESTS_DIR/regress_dir_race.c" 2>"$T_TMP/cc.err"; then
  not_ok "defect 3: the race helper does not build: $(cat "$T_TMP/cc.err")"
else
  # At least 1,000 runs of ocidig cat while the swap runs; a sanitizer build runs slower.
  # (each run streams a 4 MiB blob: the folder swap runs fewer times to keep the test short;
  # check_regress_dir runs both 20,000 times in process)
  for what in blob folder; do
    want=1000
    [ "$what" = folder ] && want=300
    [ "$SANITIZED" = yes ] && want=$((want / 5))
    R=$T_TMP/race-$what
    mk_race_layout "$R"
    if [ "$what" = blob ]; then
      name=$R/lay/blobs/sha256/$hex
      ln -s "$R/out/blobs/sha256/$hex" "$R/lay/blobs/sha256/swap"
      spare=$R/lay/blobs/sha256/swap
    else
      name=$R/lay/blobs
      ln -s "$R/out/blobs" "$R/lay/swap"
      spare=$R/lay/swap
    fi
    res=$(LD_LIBRARY_PATH=${REAL_LIBS:-${LD_LIBRARY_PATH:-}} "$race_helper" "$name" "$spare" "$want" 300 "$MARKER" \
      "$REAL" cat "$R/lay" "sha256:$hex")
    echo "# defect 3 race ($what swapped for a link out): $res"
    set -- $res
    if [ "${2:-0}" -lt "$want" ]; then
      not_ok "defect 3: race with $what swapped: only ${2:-0} attempts ran (wanted $want): $res"
    else
      expect_eq "${6:-?}" 0 "defect 3: cat while $what is swapped for a symbolic link out of the layout, ${2} times: no byte from outside on stdout"
    fi
  done
fi

# The rules for links stay (doc/resolution.md §5.12): inside followed, leaving = absent + warning.
if ! command -v python3 >/dev/null 2>&1; then
  skip "defect 3: links inside and out of the layout" "python3 is needed to read the fixture's index.json"
else
  R=$T_TMP/links
  mkdir -p "$R/out"
  cp -R "$TESTDATA/verify/clean" "$R/lay" && chmod -R u+w "$R/lay"
  idx=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$R/lay/index.json")
  mv "$R/lay/blobs/sha256/$idx" "$R/lay/inner"
  ln -s ../../inner "$R/lay/blobs/sha256/$idx"
  run cat "$R/lay" "sha256:$idx"
  expect_rc 0 "defect 3: a blob that is a link inside the layout is followed"
  # An absolute link pointing inside, and a relative one climbing out of the root and coming
  # back (../<rootname>/...), stay inside: followed by every command (RESOLUTION.md §7.13).
  CR=$(cd "$R/lay" && pwd -P)
  for how in absolute outandback; do
    rm "$R/lay/blobs/sha256/$idx"
    if [ "$how" = absolute ]; then
      ln -s "$CR/inner" "$R/lay/blobs/sha256/$idx"
    else
      ln -s "../../../$(basename "$CR")/inner" "$R/lay/blobs/sha256/$idx"
    fi
    run cat "$R/lay" "sha256:$idx"
    expect_rc 0 "defect 3: cat of a blob that is an $how link inside the layout: followed"
    run resolve "$R/lay"
    expect_rc 0 "defect 3: resolve through a blob that is an $how link inside the layout"
    run verify "$R/lay"
    expect_rc 0 "defect 3: verify of a layout whose blob is an $how link inside it: ok"
    case "$out$err" in
      *"outside the layout"* | *link-escapes*) not_ok "defect 3: $how link inside called outside: $out$err" ;;
      *) ok "defect 3: an $how link inside the layout is not called outside" ;;
    esac
  done
  rm "$R/lay/blobs/sha256/$idx"
  ln -s ../../inner "$R/lay/blobs/sha256/$idx"
  cp "$R/lay/inner" "$R/out/inner"
  rm "$R/lay/blobs/sha256/$idx"
  ln -s "$R/out/inner" "$R/lay/blobs/sha256/$idx"
  run resolve --json "$R/lay"
  expect_out_has "is a symbolic link leading outside the layout (to $R/out/inner): treated as absent" \
    "defect 3: a blob that is an absolute link out of the layout: absent, and a warning names it"
  run cat "$R/lay" "sha256:$idx"
  expect_rc 4 "defect 3: cat of a blob that is an absolute link out of the layout: absent"
  rm "$R/lay/blobs/sha256/$idx"
  ln -s ../../../out/inner "$R/lay/blobs/sha256/$idx"
  run resolve --json "$R/lay"
  expect_out_has "blobs/sha256/$idx is a symbolic link leading outside the layout (to ../../../out/inner)" \
    "defect 3: a blob that is a relative link out of the layout: absent, and a warning names it"
  rm "$R/lay/blobs/sha256/$idx"
  mv "$R/lay/inner" "$R/lay/blobs/sha256/$idx"
  mkdir -p "$R/out/blobs"
  mv "$R/lay/blobs/sha256" "$R/out/blobs/sha256"
  ln -s "$R/out/blobs/sha256" "$R/lay/blobs/sha256"
  run resolve --json "$R/lay"
  expect_out_has "leads outside the layout through the symbolic link blobs/sha256 (to $R/out/blobs/sha256)" \
    "defect 3: blobs/sha256 a link out of the layout: its blobs are absent, and a warning names the link"
  run verify "$R/lay"
  expect_out_has "link-escapes" "defect 3: verify: blobs/sha256 linked out is link-escapes"
fi

# ----------------------------------------------------------------- defect 12
# As root every file can be read: run ocidig as nobody (setpriv, from util-linux), from a
# copy of the binary that user can reach.
RUNAS=
if [ "$(id -u)" -eq 0 ]; then
  if command -v setpriv >/dev/null 2>&1; then
    RUNAS="setpriv --reuid=65534 --regid=65534 --clear-groups"
  elif command -v runuser >/dev/null 2>&1; then
    RUNAS="runuser -u nobody --"
  fi
fi
U=$T_TMP/unpriv
mkdir -p "$U/bin"
chmod 755 "$T_TMP" "$U" "$U/bin"
ocidig_copy "$U/bin"
urun() { # like run, as the unprivileged user
  $RUNAS env LD_LIBRARY_PATH="$U/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$U/bin/ocidig" "$@" \
    >"$T_TMP/out" 2>"$T_TMP/err"
  rc=$?
  out=$(cat "$T_TMP/out")
  err=$(cat "$T_TMP/err")
}
ulay() { # NAME: a fresh copy of verify/clean the user can reach
  rm -rf "${U:?}/$1"
  cp -R "$TESTDATA/verify/clean" "$U/$1" && chmod -R u+w,a+rX "$U/$1"
}

can_drop=no
if [ "$(id -u)" -ne 0 ]; then
  can_drop=yes
elif [ -n "$RUNAS" ]; then
  ulay probe
  chmod 000 "$U/probe/index.json"
  urun --version
  if [ "$rc" -eq 0 ] && ! $RUNAS cat "$U/probe/index.json" >/dev/null 2>&1; then
    can_drop=yes
  fi
fi

if [ "$can_drop" = no ]; then
  skip "defect 12: unreadable files and folders in verify" \
    "running as root and no way to run as an unprivileged user (setpriv or runuser)"
else
  ulay m000
  chmod 000 "$U/m000/blobs/sha256"
  urun verify "$U/m000"
  expect_rc 3 "defect 12: verify with blobs/sha256 at mode 000 fails (exit 3, as resolve: the input could not be read)"
  expect_out_has "blob-unreadable" "defect 12: mode 000: blob-unreadable"
  expect_out_has "listing-unreadable" "defect 12: mode 000: the listing error is reported"
  case "$out" in
    *"incomplete, not corrupt"* | *"ok: no errors"*) not_ok "defect 12: mode 000: still said absent or ok: $out" ;;
    *) ok "defect 12: mode 000: nothing is called absent, the verdict is not ok" ;;
  esac
  urun verify --json "$U/m000"
  expect_rc 3 "defect 12: verify --json, mode 000 (exit 3, as resolve: the input could not be read)"
  expect_out_has '"code": "blob-unreadable"' "defect 12: verify --json, mode 000: blob-unreadable"
  expect_out_has '"blobsMissing": 0' "defect 12: verify --json, mode 000: nothing counted missing"
  urun resolve "$U/m000"
  expect_rc 3 "defect 12: resolve, mode 000: io-error as before"

  ulay m111
  chmod 111 "$U/m111/blobs/sha256"
  urun verify "$U/m111"
  expect_rc 3 "defect 12: verify with blobs/sha256 at mode 0111 (not listable) fails (exit 3, as resolve: the input could not be read)"
  expect_out_has "listing-unreadable" "defect 12: mode 0111: says it could not list"
  expect_out_has "unreferenced   not checked (a folder could not be listed)" \
    "defect 12: mode 0111: unreferenced blobs are not counted as 0"
  urun verify --json "$U/m111"
  expect_out_has '"unreferencedBlobs": null' "defect 12: verify --json, mode 0111: unreferencedBlobs null"

  ulay m444
  chmod 444 "$U/m444/blobs/sha256"
  urun verify "$U/m444"
  expect_rc 3 "defect 12: verify with blobs/sha256 at mode 0444 (listable, not searchable) fails (exit 3, as resolve: the input could not be read)"
  expect_out_has "blob-unreadable" "defect 12: mode 0444: blob-unreadable"
  case "$out" in
    *"incomplete, not corrupt"* | *"blob-missing"*) not_ok "defect 12: mode 0444: still said absent: $out" ;;
    *) ok "defect 12: mode 0444: nothing is called absent" ;;
  esac

  if [ -z "${idx:-}" ]; then
    skip "defect 12: a manifest blob at mode 000" "python3 is needed to read the fixture's index.json"
  else
    ulay f000
    chmod 000 "$U/f000/blobs/sha256/$idx"
    urun verify "$U/f000"
    expect_rc 3 "defect 12: verify with a manifest blob at mode 000 fails (exit 3, as resolve: the input could not be read)"
    expect_out_has "blob-unreadable" "defect 12: a blob at mode 000: blob-unreadable"
  fi
fi

finish
