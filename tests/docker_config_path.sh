#!/bin/sh
# docker_config_path.sh: a docker save whose manifest.json names a config that cannot be read
# (a path climbing out with "..", a symbolic link that leaves the archive) gets the answer a
# missing config gets in an OCI layout, from every command: ls lists the image, not complete
# (exit 0); resolve --ref and inspect --ref select it with a warning (a root is not
# platform-checked; nothing of the config is shown), exit 0; cat of the config and verify
# exit 4.  Every command names the config by one digest, and no command says "image ID )"
# or reports an empty digest.  (Before: inspect exited 4, "no image with the image ID ",
# where resolve exited 0.)
. "$TESTS_DIR/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
  skip "docker config paths" "python3 is needed to make the archives"
  finish
  exit $?
fi
# The two archives, from docker-clean.tar (made by docker save): the first image's Config
# rewritten to "../<name>", or its config replaced by a link to ../../etc/passwd.
python3 - "$TESTDATA/verify/docker-clean.tar" "$T_TMP" <<'PY' || exit 1
import copy, io, json, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
members = []
with tarfile.open(src) as t:
    for m in t.getmembers():
        members.append((m, t.extractfile(m).read() if m.isfile() else None))
cfg = json.loads(dict((m.name, d) for m, d in members)["manifest.json"])[0]["Config"]
for variant in ("dotdot", "link"):
    with tarfile.open("%s/%s.tar" % (out, variant), "w") as t:
        for m, data in members:
            m = copy.copy(m)
            if m.name == "manifest.json" and variant == "dotdot":
                man = json.loads(data)
                man[0]["Config"] = "../" + man[0]["Config"]
                data = json.dumps(man).encode()
                m.size = len(data)
            if m.name == cfg and variant == "link":
                m = tarfile.TarInfo(cfg)
                m.type, m.linkname, data = tarfile.SYMTYPE, "../../etc/passwd", None
            t.addfile(m, io.BytesIO(data) if data is not None else None)
PY
for variant in dotdot link; do
  A="$T_TMP/$variant.tar"
  run ls --json "$A"
  expect_rc 0 "$variant: ls"
  printf '%s' "$out" >"$T_TMP/ls.json"
  got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print([(i["names"], i["complete"]) for i in d["images"]])' "$T_TMP/ls.json")
  expect_eq "$got" "[(['fixture/app:1', 'fixture/app:latest'], False), ([], True)]" \
    "$variant: ls lists fixture/app:1 not complete, the other image complete"
  run resolve --json --ref fixture/app:1 "$A"
  expect_rc 0 "$variant: resolve --ref fixture/app:1"
  printf '%s' "$out" >"$T_TMP/r.json"
  cfg=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["selected"]["digest"] if d.get("selected") else "-")' "$T_TMP/r.json")
  err=$(python3 -c '
import json, sys
print("\n".join(json.load(open(sys.argv[1]))["warnings"]))' "$T_TMP/r.json")
  case "$cfg" in sha256:????????????????????????????????????????????????????????????????) ok "$variant: resolve names the image by a digest" ;;
  *) not_ok "$variant: resolve names the image by a digest: got '$cfg'" ;; esac
  expect_err_has "could not be read from its config" "$variant: resolve warns that the platform is unknown (its JSON's warnings)"
  case "$err" in *"image ID )"* | *'invalid digest ""'*) not_ok "$variant: resolve's warnings: $err" ;;
  *) ok "$variant: resolve says no empty image ID or digest" ;; esac
  run inspect --ref fixture/app:1 "$A"
  expect_rc 0 "$variant: inspect --ref fixture/app:1"
  expect_err_has "config $cfg is not in the layout: nothing of it is shown" "$variant: inspect names the config as resolve does"
  case "$err" in *"image ID )"* | *'invalid digest ""'*) not_ok "$variant: inspect's warnings: $err" ;;
  *) ok "$variant: inspect says no empty image ID or digest" ;; esac
  run cat --ref fixture/app:1 "$A" config
  expect_rc 4 "$variant: cat config"
  expect_err_has "(blob-missing)" "$variant: cat config: blob-missing"
  run verify "$A"
  expect_rc 4 "$variant: verify"
done
run verify "$T_TMP/dotdot.tar"
expect_out_has "is not a path inside the archive" "dotdot: verify says why"
run verify "$T_TMP/link.tar"
expect_out_has "link-escapes" "link: verify says the link leaves the archive"
finish
