#!/bin/sh
# regress_members.sh: issue 12, defect 13.  An archive member that is a regular file and
# then a directory, hard link or symbolic link of the same name: tar extracts the latter,
# so the layout it gives is broken.  resolve refused such an archive (corrupt-archive,
# exit 3) while verify passed it (exit 0, nothing or a warning).  Now every command that
# reads the name refuses it, whatever the order, and verify reports an error finding
# (member-replaced) and stops with corrupt-archive (exit 3).
#
# The archives are written at test time with python3's tarfile from testdata/verify/clean
# (a layout of testdata/verify/MANIFEST), in tar and tar.gz form.
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is not available: skipped"
  exit 77
fi

SRC="$TESTDATA/verify/clean"
# The linux/amd64 manifest of that layout (what resolve --platform linux/amd64 selects).
MANIFEST=blobs/sha256/d1b499d80f93a735745c3b46745c32f0fea316a85868e7f847d2c405b71fb723
D=$T_TMP/d13
mkdir -p "$D"

# mk OUT VICTIM KIND [last]: the layout as a tar (gzip when OUT ends in .gz), the member
# VICTIM followed at once by a member of the same name of KIND (dir, symlink, hardlink,
# file-again: the file once more, dir-then-file: a directory and then the file again).
# With "last", index.json is written last (so a lazy reader passes both copies of VICTIM
# before it reads anything).
mk() {
  python3 - "$SRC" "$1" "$2" "$3" "${4:-}" <<'EOF'
import os, sys, tarfile
src, out, victim, kind, last = sys.argv[1:6]
names = []
for root, dirs, files in os.walk(src):
    dirs.sort()
    for f in sorted(files):
        names.append(os.path.relpath(os.path.join(root, f), src))
names.sort(key=lambda n: (n == "index.json") if last else 0)
def other(name, typ):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    if typ == tarfile.DIRTYPE:
        ti.mode = 0o755
    else:
        ti.linkname = "oci-layout"
    return ti
with tarfile.open(out, "w:gz" if out.endswith(".gz") else "w", format=tarfile.PAX_FORMAT) as t:
    for n in names:
        t.add(os.path.join(src, n), arcname=n, recursive=False)
        if n != victim:
            continue
        if kind == "dir":
            t.addfile(other(n, tarfile.DIRTYPE))
        elif kind == "symlink":
            t.addfile(other(n, tarfile.SYMTYPE))
        elif kind == "hardlink":
            t.addfile(other(n, tarfile.LNKTYPE))
        elif kind == "file-again":
            t.add(os.path.join(src, n), arcname=n, recursive=False)
        elif kind == "dir-then-file":
            t.addfile(other(n, tarfile.DIRTYPE))
            t.add(os.path.join(src, n), arcname=n, recursive=False)
EOF
}

for ext in tar tar.gz; do
  for kind in dir symlink hardlink; do
    for victim in index.json "$MANIFEST"; do
      case $victim in index.json) what=index.json ;; *) what="the amd64 manifest" ;; esac
      for order in "" last; do
        [ "$victim" = index.json ] && [ "$order" = last ] && continue
        f=$D/$kind-$(echo "$victim" | tr / _ | cut -c1-24)${order:+-$order}.$ext
        mk "$f" "$victim" "$kind" $order || { not_ok "defect 13: cannot write $f"; continue; }
        name="defect 13: $ext, $what then a $kind of its name${order:+ (index.json last)}"

        run verify "$f"
        expect_rc 3 "$name: verify refuses the archive"
        expect_out_has "error   member-replaced" "$name: verify reports the member-replaced error finding"
        expect_err_has "(corrupt-archive)" "$name: verify says corrupt-archive"

        run verify --json "$f"
        expect_rc 3 "$name: verify --json exits as resolve does"
        if printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
f = [x for x in r["findings"] if x["code"] == "member-replaced"]
sys.exit(0 if f and f[0]["severity"] == "error" and r["error"]["code"] == "corrupt-archive" else 1)'; then
          ok "$name: verify --json has the error finding and error corrupt-archive"
        else
          not_ok "$name: verify --json: $(printf "%s" "$out" | head -c 300)"
        fi

        run resolve --platform linux/amd64 "$f"
        expect_rc 3 "$name: resolve refuses it too"
        expect_err_has "(corrupt-archive)" "$name: resolve says corrupt-archive"
      done
    done
  done

  # No false alarm: a file twice, or a file, a directory and the file again (tar ends with
  # the file), is a duplicate (a warning); the layout verifies.
  for kind in file-again dir-then-file; do
    f=$D/$kind-index.$ext
    mk "$f" index.json "$kind"
    run verify "$f"
    expect_rc 0 "defect 13: $ext, index.json $kind: verify passes it (the last member is the file)"
    expect_out_has "duplicate-member" "defect 13: $ext, index.json $kind: a duplicate-member warning"
    case $out in *member-replaced*) not_ok "defect 13: $ext, index.json $kind: member-replaced reported" ;;
    *) ok "defect 13: $ext, index.json $kind: no member-replaced" ;; esac
  done
  # A file twice, identical: resolve selects.  (After a file, a directory and the file again,
  # a lazy resolve that read the first copy before the directory turned up refuses it as
  # ambiguous, as it does two differing copies: not asserted here.)
  run resolve --platform linux/amd64 "$D/file-again-index.$ext"
  expect_rc 0 "defect 13: $ext, index.json twice: resolve selects"
done

# Directory form: a directory where index.json or the selected manifest should be is an
# absent file, as doc/resolution.md §5.5 has it (no extraction can differ): index.json missing (3 in
# both), the manifest a blob-missing (verify: error, 4; resolve: that candidate skipped with
# verdict blob-missing, no match, 1), exactly as when the file is deleted.
cp -R "$SRC" "$D/dir-index" && rm "$D/dir-index/index.json" && mkdir "$D/dir-index/index.json"
run verify "$D/dir-index"
expect_rc 3 "defect 13: directory, index.json is a directory: verify"
run resolve "$D/dir-index"
expect_rc 3 "defect 13: directory, index.json is a directory: resolve"
cp -R "$SRC" "$D/dir-manifest" && rm "$D/dir-manifest/$MANIFEST" && mkdir "$D/dir-manifest/$MANIFEST"
run verify --platform linux/amd64 "$D/dir-manifest"
expect_rc 4 "defect 13: directory, the amd64 manifest is a directory: verify --platform linux/amd64"
expect_out_has "blob-missing" "defect 13: directory, the amd64 manifest is a directory: verify says blob-missing"
run resolve --platform linux/amd64 "$D/dir-manifest"
expect_rc 1 "defect 13: directory, the amd64 manifest is a directory: resolve --platform linux/amd64"
expect_out_has "blob-missing" "defect 13: directory, the amd64 manifest is a directory: resolve verdict blob-missing"

finish
