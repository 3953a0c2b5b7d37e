#!/bin/bash
# scale.sh: large layouts are read within bounded time and memory (issue 13).
#
# Generates (python3, in a temporary folder) a layout of 20,000 images and one of 100,000:
# each image a distinct manifest (an annotation tells them apart) that shares one config
# and one layer, listed in index.json with a ref name (the 20,000 one is about 6 MB,
# hauler's size).  On each: ls, resolve --ref (the first image, and the last), verify; on
# the 20,000 also verify --platform linux/amd64 (each entry resolved as resolve --ref
# @DIGEST resolves it: once each, not a pass over all of them each).
# Every command must exit 0 with the right answer, within
#   - peak RSS <= 64 MiB (GNU time's %M) for both sizes;
#   - 2 s for 20,000 images: CPU time (user + system) <= 2 s, and wall time
#     <= 2 s x SCALE_TIME_FACTOR.  The factor defaults to 3: make check runs on shared
#     machines (CI runners, 2 cores under parallel builds) whose wall time says more about
#     the neighbours than about ocidig; CPU time is the load-independent bound.  Set
#     SCALE_TIME_FACTOR=1 on a quiet machine for the issue's bound as written.
# The limits are not checked under a sanitizer build or a wrapper (valgrind): the
# commands still run and their answers are still checked.
#
# XFAIL: as in tests/consistency.sh: a reason, then the indented shell-style patterns of
# the checks it explains; XPASS (every check of a pattern passes) is a failure: remove it.
XFAIL='
'
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
if [ -n "${OCIDIG_WRAPPER:-}" ]; then
  skip "scale suite" "under $OCIDIG_WRAPPER (hours of memcheck; the limits mean nothing there)"
  finish
  exit $?
fi
command -v python3 >/dev/null || { echo "python3 is required"; exit 1; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "GNU time (/usr/bin/time, Debian package time) is required"; exit 1; }
ocidig_real
[ -n "$OCIDIG_LIBS" ] && export LD_LIBRARY_PATH="$OCIDIG_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
LIMITS=yes
for f in "$OCIDIG_REAL" ${OCIDIG_LIBS:+"$OCIDIG_LIBS"/libocidig.so}; do
  if grep -qa -e __asan_init -e __ubsan_handle "$f" 2>/dev/null; then LIMITS="no (a sanitizer build)"; fi
done
XFAIL="$XFAIL" LIMITS="$LIMITS" TIME="$TIME" python3 - "$OCIDIG_REAL" "$T_TMP" <<'PY'
import fnmatch, gzip, hashlib, io, json, os, shlex, shutil, subprocess, sys, tarfile, time

OCIDIG, TMP = sys.argv[1], sys.argv[2]
WRAPPER = shlex.split(os.environ.get("OCIDIG_WRAPPER", ""))
LIMITS = os.environ["LIMITS"] == "yes"
FACTOR = float(os.environ.get("SCALE_TIME_FACTOR") or 3)
RSS_MAX = 64 * 1024  # KiB
TIMEOUT = int(os.environ.get("SCALE_TIMEOUT") or 120)  # seconds a command may run at most
XFAIL = []  # [pattern, reason, checks failed, checks passed]
why = "?"
for line in os.environ.get("XFAIL", "").splitlines():
    if line[:1] in (" ", "\t") and line.strip():
        XFAIL.append([line.strip(), why, 0, 0])
    elif line.strip():
        why = line.strip()
passed = failed = xfailed = skipped = 0


def check(name, good, detail=""):
    global passed, failed, xfailed
    pats = [x for x in XFAIL if fnmatch.fnmatchcase(name, x[0])]
    for x in pats:
        x[3 if good else 2] += 1
    if good:
        passed += 1
        print("ok - " + name)
    elif pats:
        xfailed += 1
        print("ok - %s # XFAIL %s (%s)" % (name, pats[0][1], detail[:300]))
    else:
        failed += 1
        print("not ok - %s: %s" % (name, detail[:1000]))
    sys.stdout.flush()


def skip(name, why):
    global skipped
    skipped += 1
    for x in XFAIL:  # a pattern whose checks were all skipped is neither stale nor XPASS
        if fnmatch.fnmatchcase(name, x[0]):
            x.append("skipped")
    print("ok - %s # SKIP %s" % (name, why))


def generate(root, n, archive):
    """n images, distinct manifests sharing one config and one layer, as a directory or
    (archive) a plain tar; returns the first and the last entry of index.json."""
    if archive:
        tf = tarfile.open(root, "w", format=tarfile.USTAR_FORMAT)

        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), 0o444, 0
            tf.addfile(ti, io.BytesIO(data))
    else:
        os.makedirs(os.path.join(root, "blobs", "sha256"))

        def add(name, data):
            fd = os.open(os.path.join(root, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.close(fd)

    def put(data):
        h = hashlib.sha256(data).hexdigest()
        add("blobs/sha256/" + h, data)
        return h

    # an empty gzip stream (an empty layer) and a config that says linux/amd64
    layer = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    lh, ch = put(layer), put(config)
    head = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
            '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},'
            '"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}],'
            '"annotations":{"org.example.n":"' % (ch, len(config), lh, len(layer)))
    entries = []
    for i in range(n):
        data = (head + str(i) + '"}}').encode()
        h = put(data)
        if n <= 20000:  # as an air-gapped store names them: about 6 MB for 20,000
            name = "registry.example.com/product/component-%05d:v1.%d.%d" % (i, i % 7, i % 13)
            ann = '{"org.opencontainers.image.ref.name":"%s","org.example.signed":"true"}' % name
        else:
            ann = '{"org.opencontainers.image.ref.name":"c%06d:v1"}' % i
        entries.append('{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s",'
                       '"size":%d,"platform":{"architecture":"amd64","os":"linux"},"annotations":%s}'
                       % (h, len(data), ann))
    index = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
             + ",".join(entries) + "]}").encode()
    add("index.json", index)
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    if archive:
        tf.close()
    return json.loads(entries[0]), json.loads(entries[-1]), len(index)


def measure(args):
    """Runs ocidig under GNU time: (exit, stdout, stderr, wall s, cpu s, peak RSS KiB)."""
    stats = os.path.join(TMP, "time.out")
    t0 = time.monotonic()
    # a command that runs away is stopped (exit 137), never left to hang the suite
    p = subprocess.run([os.environ["TIME"], "-o", stats, "-f", "%e %U %S %M", "timeout", "-s", "KILL", str(TIMEOUT)]
                       + WRAPPER + [OCIDIG] + args,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    with open(stats) as f:
        last = f.read().strip().splitlines()[-1].split()
    cpu = float(last[1]) + float(last[2])
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), \
        wall, cpu, int(last[3])


def run_form(n, label, root, first, last, platform_run):
    """Every command over one form of the layout (label: "" for the generated one)."""
    runs = [
            ("ls", ["ls", "--json", root], None),
            ("resolve --ref (the first image)", ["resolve", "--json", "--ref",
                                                 first["annotations"]["org.opencontainers.image.ref.name"], root],
             first["digest"]),
            ("resolve --ref (the last image)", ["resolve", "--json", "--ref",
                                                last["annotations"]["org.opencontainers.image.ref.name"], root],
             last["digest"]),
            ("verify", ["verify", "--json", root], None)]
    if platform_run:
        runs.append(("verify --platform linux/amd64", ["verify", "--json", "--platform", "linux/amd64", root], None))
    for what, args, want in runs:
        rc, out, err, wall, cpu, rss = measure(args)
        name = "%d images%s: %s" % (n, label, what)
        print("# %s: exit %d, wall %.2f s, cpu %.2f s, peak RSS %.1f MiB" % (name, rc, wall, cpu, rss / 1024.0))
        try:
            doc = json.loads(out)
        except ValueError:
            doc = None
        code = doc.get("error", {}).get("code") if isinstance(doc, dict) and isinstance(doc.get("error"), dict) else None
        detail = "exit %d %s %s" % (rc, code or "", err.strip()[-300:])
        if what == "ls":
            got = len(doc.get("images") or []) if isinstance(doc, dict) else -1
            check(name + ": exit 0, every image listed", rc == 0 and got == n, "%s; %d images" % (detail, got))
        elif what.startswith("verify"):
            errs = [f for f in (doc or {}).get("findings") or [] if f.get("severity") == "error"] \
                if isinstance(doc, dict) else None
            imgs = len(doc.get("images") or []) if isinstance(doc, dict) else -1
            check(name + ": exit 0, no error, every image verified", rc == 0 and errs == [] and imgs == n,
                  "%s; errors %s; %d images" % (detail, (errs or [])[:3], imgs))
        else:
            sel = ((doc or {}).get("selected") or {}).get("digest") if isinstance(doc, dict) else None
            check(name + ": exit 0, the image selected", rc == 0 and sel == want, "%s; selected %s" % (detail, sel))
        if not LIMITS:
            for what_limit in ("peak RSS <= 64 MiB", "CPU time <= 2 s", "wall time <= limit"):
                if n <= 20000 or what_limit.startswith("peak"):
                    skip(name + ": " + what_limit, os.environ["LIMITS"][4:-1])
            continue
        # a command that failed did not do the work: its time and memory say nothing
        failed_run = "" if rc == 0 else "not measured: the command failed (exit %d)" % rc
        check(name + ": peak RSS <= 64 MiB", rc == 0 and rss <= RSS_MAX,
              failed_run or "%.1f MiB" % (rss / 1024.0))
        if n <= 20000:
            check(name + ": CPU time <= 2 s", rc == 0 and cpu <= 2.0, failed_run or "%.2f s" % cpu)
            wname = name + ": wall time <= %.1f s (2 s x %g)" % (2 * FACTOR, FACTOR)
            load, ncpu = os.getloadavg()[0], os.cpu_count() or 1
            if load > ncpu:  # others hold the CPUs: the wall clock measures them, CPU time is checked above
                skip(wname, "the machine is busy (load %.1f on %d CPUs; wall %.2f s, CPU %.2f s)" % (load, ncpu, wall, cpu))
            else:
                check(wname, rc == 0 and wall <= 2.0 * FACTOR, failed_run or "%.2f s" % wall)


def suite(n, archive):
    root = os.path.join(TMP, "layout-%d%s" % (n, ".tar" if archive else ""))
    t0 = time.monotonic()
    first, last, size = generate(root, n, archive)
    print("# %d images generated in %.1f s as %s (index.json %d bytes)" % (
        n, time.monotonic() - t0, "a tar archive" if archive else "a directory", size))
    run_form(n, "", root, first, last, n <= 20000)
    if not archive:
        # The directory archived as people archive one (GNU tar: the file system's order,
        # not the order the graph reads the blobs in): each member the graph passes over is
        # read again from its header, not by reading the archive from its start again (52 s
        # of ls before).  Compressed (hauler's haul.tar.zst, or .tar.gz), a member passed
        # over is reached only by decompressing from the start: each such pass keeps the
        # documents the walk asks for next (the root's children, in order), so that the
        # walk costs a pass for every 8 MiB of documents, not one a document (ls 27 s and
        # verify 14 s of CPU before).
        tarred = root + ".tar"
        subprocess.run(["tar", "-C", root, "-cf", tarred, "."], check=True)
        run_form(n, " (GNU tar of the directory)", tarred, first, last, False)
        if shutil.which("zstd"):
            subprocess.run(["zstd", "-q", "-1", "-f", tarred, "-o", tarred + ".zst"], check=True)
            run_form(n, " (GNU tar of the directory, zstd)", tarred + ".zst", first, last, False)
            os.unlink(tarred + ".zst")
        else:
            skip("%d images (GNU tar of the directory, zstd)" % n, "no zstd program")
        with open(tarred, "rb") as f, gzip.open(tarred + ".gz", "wb", compresslevel=1) as g:
            shutil.copyfileobj(f, g)
        run_form(n, " (GNU tar of the directory, gzip)", tarred + ".gz", first, last, False)
        os.unlink(tarred + ".gz")
        os.unlink(tarred)
    if archive:
        os.unlink(root)
    else:
        shutil.rmtree(root, ignore_errors=True)


t0 = time.monotonic()
# 20,000 as a directory (an air-gapped store's form); 100,000 as a tar archive: 100,000
# files cost about 20 s of file creation on a CI machine, one tar stream about 2 s
suite(20000, False)
# under a sanitizer (about ten times slower, no limits measured) 30,000 in a tar take the same
# paths as 100,000 (past the 8 MiB of members kept: the forward re-read) in a third of the time
suite(100000 if LIMITS else 30000, True)
print("# scale suite: %.1f s" % (time.monotonic() - t0))
for pat, why, nfail, npass, *skips in XFAIL:
    if not LIMITS:
        continue  # the patterns are about the limits, which a sanitizer build does not measure
    if nfail == 0 and not (skips and npass == 0):
        failed += 1
        print("not ok - XPASS %s (%s): all %d of its checks pass now; remove it from the XFAIL list" % (pat, why, npass)
              if npass else "not ok - XFAIL %s matches no check; remove it from the list" % pat)
print("# %d expected failures (XFAIL)" % xfailed)
if skipped:
    print("%d passed, %d failed (%d skipped)" % (passed, failed, skipped))
else:
    print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
exit $?
