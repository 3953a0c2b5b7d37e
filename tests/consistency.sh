#!/bin/bash
# consistency.sh: every command gives the same answer about the same input (issue 13).
#
# Runs ls, resolve, inspect, verify and cat (of the selected manifest and config) with --json
# over every fixture and sample in testdata/ (samples/, verify/, cimage/ when present,
# model/), each in its directory AND archive forms (the missing form is made here: a
# directory is packed with tar, an archive unpacked with bsdtar), for the platforms
# none, linux/amd64, linux/arm64, linux/arm/v7, windows/amd64 (and verify --all-platforms),
# and checks the cross-command invariants:
#   a  `ls --platform P` shows for each image what `resolve --ref IMAGE --platform P`
#      selects (the same manifest, or both no match, or both an error with the same code);
#      without --platform, what resolve --ref IMAGE selects is one of ls's rows for IMAGE;
#   b  ls's COMPLETE of each platform row equals verify's completeness of that row (also
#      the selected row of `ls --platform P` against `verify --platform P`);
#   c  an integrity or kind error (exit 4) or an unreadable layout (exit 3) in a document
#      a command needs is the same error in every command that needs it: resolve --ref
#      IMAGE, inspect, cat manifest, cat config, ls --platform and verify --platform for
#      the selection; ls and verify (everything) for the indexes, manifests and configs;
#   d  the forms of one layout give identical verify findings (code, digest, path,
#      severity) and identical ls / resolve / inspect JSON apart from the source name;
# and the six cases of issue 13 as named tests ("case 1" ... "case 6").
#
# XFAIL below: checks known to fail until the work on issue 13 lands.  A line that does
# not begin with a space is a reason; the indented lines under it are shell-style patterns
# over check names.  A failing check that a pattern matches prints XFAIL and is not a
# failure; a pattern all of whose checks pass prints XPASS, which IS a failure: whoever
# fixes it removes the pattern (and the reason when none is left under it).  A pattern
# that matches no check fails too.  Under a wrapper (make check-valgrind) only the six
# cases run: the whole matrix is thousands of runs.
XFAIL='
'
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
command -v python3 >/dev/null || { echo "python3 is required"; exit 1; }
command -v bsdtar >/dev/null || { echo "bsdtar (libarchive-tools) is required"; exit 1; }
ocidig_real
# the real binary, not libtool's wrapper script: thousands of runs
[ -n "$OCIDIG_LIBS" ] && export LD_LIBRARY_PATH="$OCIDIG_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# a sanitizer build (each run about ten times slower): the platforms none and linux/arm64
REDUCED=no
for f in "$OCIDIG_REAL" ${OCIDIG_LIBS:+"$OCIDIG_LIBS"/libocidig.so}; do
  if grep -qa -e __asan_init -e __ubsan_handle "$f" 2>/dev/null; then REDUCED=yes; fi
done
[ "$REDUCED" = yes ] && echo "# a sanitizer build: platforms none and linux/arm64 only"
XFAIL="$XFAIL" REDUCED="$REDUCED" python3 - "$OCIDIG_REAL" "$TESTDATA" "$T_TMP" <<'PY'
import concurrent.futures, fnmatch, hashlib, json, os, re, shlex, shutil, subprocess, sys, tarfile

OCIDIG, TESTDATA, TMP = sys.argv[1], sys.argv[2], sys.argv[3]
WRAPPER = shlex.split(os.environ.get("OCIDIG_WRAPPER", ""))
PLATFORMS = [None, "linux/amd64", "linux/arm64", "linux/arm/v7", "windows/amd64"]
REDUCED = os.environ.get("REDUCED") == "yes"
if REDUCED:  # a sanitizer build: ten times slower per run; two platforms, not five
    PLATFORMS = [None, "linux/arm64"]
INTEGRITY = {"invalid-digest", "unsupported-digest-algorithm", "size-mismatch", "digest-mismatch",
             "invalid-json", "kind-mismatch", "json-too-large", "nesting-too-deep", "index-cycle",
             "limit-exceeded"}
# verify names which rule of a document's shape is broken where the others say invalid-json
SHAPE = {"field-type", "field-missing", "schema-version", "size-negative", "docker-manifest-invalid"}
ARCHIVE_EXT = (".tar.gz", ".tar.zst", ".tgz", ".tar")

XFAIL = []  # [pattern, reason, checks failed, checks passed]
why = "?"
for line in os.environ.get("XFAIL", "").splitlines():
    if line[:1] in (" ", "\t") and line.strip():
        XFAIL.append([line.strip(), why, 0, 0])
    elif line.strip():
        why = line.strip()  # pattern, reason, checks failed, passed


class Report:
    def __init__(self):
        self.lines = []

    def check(self, name, cond, detail=""):
        self.lines.append((name, bool(cond), detail))

    def skip(self, name, why):
        self.lines.append((name, None, why))


passed = failed = xfailed = skipped = 0


def emit(rep):
    global passed, failed, xfailed, skipped
    for name, good, detail in rep.lines:
        if good is None:
            skipped += 1
            for x in XFAIL:  # a pattern whose checks were all skipped is neither stale nor XPASS
                if fnmatch.fnmatchcase(name, x[0]) and "skipped" not in x:
                    x.append("skipped")
            print("ok - %s # SKIP %s" % (name, detail))
            continue
        pats = [x for x in XFAIL if fnmatch.fnmatchcase(name, x[0])]
        for x in pats:
            x[2 if not good else 3] += 1
        if good:
            passed += 1
            print("ok - " + name)
        elif pats:
            xfailed += 1
            print("ok - %s # XFAIL %s (%s)" % (name, pats[0][1], detail[:300]))
        else:
            failed += 1
            print("not ok - %s: %s" % (name, detail[:2000]))


def run(args, binary=False):
    p = subprocess.run(WRAPPER + [OCIDIG] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout if binary else p.stdout.decode("utf-8", "replace")
    return p.returncode, out, p.stderr.decode("utf-8", "replace")


def run_json(args):
    rc, out, err = run(args + ["--json"])
    try:
        doc = json.loads(out) if out.strip() else None
    except ValueError:
        doc = {"_unparsable": out[:200]}
    return rc, doc, err


def err_code(doc, err):
    """The error code of a failed command: its JSON error.code, else '(code)' on stderr."""
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        return doc["error"].get("code")
    codes = re.findall(r"\(([a-z0-9][a-z0-9-]*)\)\s*$", err, re.M)
    return codes[-1] if codes else None


def pf(p):
    return ["--platform", p] if p else []


def pname(p):
    return p or "none"


# ------------------------------------------------------------------ the inputs
def collect():
    """Units: one layout each, with its forms [(label, path, made_here)]."""
    units = []
    for top in ("samples", "verify", "cimage", "model"):
        base = os.path.join(TESTDATA, top)
        if not os.path.isdir(base):
            continue
        groups = {}
        for e in sorted(os.listdir(base)):
            path = os.path.join(base, e)
            if os.path.isdir(path):
                stem = e
            elif e.endswith(ARCHIVE_EXT):
                stem = next(e[: -len(x)] for x in ARCHIVE_EXT if e.endswith(x))
            else:
                continue
            groups.setdefault(stem, []).append((top + "/" + e, path))
        for stem, forms in sorted(groups.items()):
            units.append((top + "/" + stem, forms))
    return units


def make_forms(unit, forms, rep):
    """Adds the missing form: a tar of a directory, a directory of an archive."""
    have_dir = any(os.path.isdir(p) for _, p in forms)
    have_arc = any(not os.path.isdir(p) for _, p in forms)
    work = os.path.join(TMP, unit.replace("/", "_"))
    os.makedirs(work, exist_ok=True)
    out = [(l, p, False) for l, p in forms]
    if not have_arc:
        src = next(p for _, p in forms if os.path.isdir(p))
        dst = os.path.join(work, "made.tar")
        names = sorted(os.listdir(src))
        p = subprocess.run(["tar", "-C", src, "-cf", dst, "--"] + names,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode == 0:
            out.append((unit + " (tar made here)", dst, True))
        else:
            rep.skip(unit + ": archive form", "tar failed: " + p.stderr.decode()[:200])
    if not have_dir:
        src = next(p for _, p in forms if not os.path.isdir(p))
        dst = os.path.join(work, "unpacked")
        os.makedirs(dst, exist_ok=True)
        p = subprocess.run(["bsdtar", "-xf", src, "-C", dst], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if p.returncode == 0:
            out.append((unit + " (unpacked here)", dst, True))
        else:
            rep.skip(unit + ": directory form",
                     "bsdtar could not unpack it: " + p.stderr.decode()[:200])
    return out


# Forms that are not the same layout once unpacked or packed: faults only an archive can
# hold, or that unpacking changes (not comparable by invariant d).
NOT_SAME = {
    "verify/path-unsafe": "bsdtar refuses or rewrites '../' names",
    "verify/link-escapes": "an escaping link is a link member in the archive, a followed link in a directory",
    "verify/link-member": "a link member of the archive becomes a followed link",
    "verify/special-member": "a device or FIFO member is not extracted as one",
    "verify/duplicate-member": "the second copy of a member overwrites the first when unpacked",
    "verify/docker-link-escapes": "an escaping link is a link member in the archive, a followed link in a directory",
}


# ------------------------------------------------------------------ one form
def image_ref(img, images):
    """--ref for an image of ls: its first name when no other image has it, else @digest."""
    for n in img.get("names") or []:
        if all(n not in (o.get("names") or []) for o in images if o is not img and o.get("digest") != img.get("digest")):
            return n
    return "@" + img["digest"] if isinstance(img.get("digest"), str) else None


def run_form(label, path):
    """All the commands on one form; returns a dict of their results."""
    r = {"ls": {}, "resolve": {}, "verify": {}, "ref": {}, "all": None}
    for p in PLATFORMS:
        r["ls"][p] = run_json(["ls"] + pf(p) + [path])
        r["resolve"][p] = run_json(["resolve"] + pf(p) + [path])
        r["verify"][p] = run_json(["verify"] + pf(p) + [path])
    r["all"] = run_json(["verify", "--all-platforms", path])
    ls0 = r["ls"][None][1]
    images = ls0.get("images") if isinstance(ls0, dict) else None
    refs = []
    for img in images or []:
        ref = image_ref(img, images)
        if ref and ref not in refs:
            refs.append(ref)
    r["refs"] = refs
    for ref in refs:
        seen = set()
        for p in PLATFORMS:
            k = (ref, p)
            res = run_json(["resolve", "--ref", ref] + pf(p) + [path])
            r["ref"][k] = {"resolve": res}
            # inspect and cat need what resolve selected: once per distinct selection
            sel = resolve_view(*res)
            if sel in seen and p is not None:
                continue
            seen.add(sel)
            r["ref"][k]["inspect"] = run_json(["inspect", "--ref", ref] + pf(p) + [path])
            r["ref"][k]["cat-manifest"] = run(["cat", "--ref", ref] + pf(p) + [path, "manifest"], binary=True)
            r["ref"][k]["cat-config"] = run(["cat", "--ref", ref] + pf(p) + [path, "config"], binary=True)
    return r


def selected_digest_ls(res):
    return res.get("manifest") or res.get("imageId")


def resolved_view(res):
    """(outcome, digest or error code) of an ls 'resolved' object."""
    if not isinstance(res, dict):
        return ("missing", None)
    o = res.get("outcome")
    if o == "selected":
        return (o, selected_digest_ls(res))
    if o == "error":
        e = res.get("error")
        return (o, e.get("code") if isinstance(e, dict) else res.get("code"))
    return (o, None)


def resolve_view(rc, doc, err):
    if isinstance(doc, dict) and doc.get("outcome") == "selected":
        return ("selected", (doc.get("selected") or {}).get("digest"))
    if isinstance(doc, dict) and doc.get("outcome") == "no-match":
        return ("no-match", None)
    return ("error", err_code(doc, err))


def verify_errors(doc):
    if not isinstance(doc, dict):
        return []
    return [f for f in doc.get("findings") or [] if f.get("severity") == "error"]


# verify warns of these (a digest of an algorithm the spec lets pass validation, issue 17)
# where the other commands, which need the blob, stop with the same code
UNVERIFIABLE = {"unsupported-digest-algorithm"}


def code_in_verify(code, doc, digest=None):
    """verify reports CODE (or its finer shape code for invalid-json) as an error (a
    warning for UNVERIFIABLE)."""
    ok = {code} | (SHAPE if code == "invalid-json" else set())
    found = verify_errors(doc)
    if code in UNVERIFIABLE and isinstance(doc, dict):
        found = [f for f in doc.get("findings") or [] if f.get("severity") == "warning"]
    return any(f.get("code") in ok and (digest is None or f.get("digest") in (None, digest))
               for f in found)


def verify_rows(doc):
    """{image digest or name: (image complete, {manifest or platform: [complete]})}."""
    rows = {}
    for img in ((doc or {}).get("images") or [] if isinstance(doc, dict) else []):
        plats = {}
        for pl in img.get("platforms") or []:
            plats.setdefault(pl.get("manifest") or pl.get("platform"), []).append(pl.get("complete"))
        for key in (img.get("digest"), img.get("name")):
            if key is not None:
                old = rows.get(key)
                if old:  # one digest listed under several names: the rows of all of them
                    for k, v in plats.items():
                        old[1].setdefault(k, []).extend(v)
                    rows[key] = (old[0] if old[0] == img.get("complete") else None, old[1])
                else:
                    rows[key] = (img.get("complete"), {k: list(v) for k, v in plats.items()})
    return rows


def verify_complete(vrows, img, pl):
    """What verify says of the completeness of ls's row PL of image IMG: its row's, or (no
    such row: an index or config that could not be read) the image's."""
    v = vrows.get(img.get("digest")) if img.get("digest") else None
    for n in img.get("names") or []:
        v = v or vrows.get(n)
    if v is None:
        return None
    row = v[1].get(pl.get("manifest") or pl.get("platform"))
    return row if row is not None else [v[0]]


def check_form(label, path, r, rep):
    ls_rc, ls0, ls_err = r["ls"][None]
    images = ls0.get("images") if isinstance(ls0, dict) else None
    fmt = ls0.get("format") if isinstance(ls0, dict) else None

    # c: the layout as a whole.  ls, resolve and verify all need oci-layout and the root;
    # when one cannot read the layout (3) or its root (4) they all say so, with one code.
    for p in PLATFORMS:
        lrc, ldoc, lerr = r["ls"][p]
        rrc, rdoc, rerr = r["resolve"][p]
        vrc, vdoc, verr = r["verify"][p]
        name = "c: %s: --platform %s: ls, resolve and verify agree on the layout" % (label, pname(p))
        if isinstance(ldoc, dict) and ldoc.get("images") is None:
            code = err_code(ldoc, lerr)
            rep.check(name, rrc == lrc and err_code(rdoc, rerr) == code and vrc == lrc
                      and code_in_verify(code, vdoc),
                      "ls exit %d %s; resolve exit %d %s; verify exit %d %s" % (
                          lrc, code, rrc, err_code(rdoc, rerr), vrc,
                          [f.get("code") for f in verify_errors(vdoc)]))
        elif rrc == 3:
            rep.check(name, False, "resolve exit 3 (%s) but ls lists the layout (exit %d)"
                      % (err_code(rdoc, rerr), lrc))
    if images is None:
        return

    # a (none): resolve --ref IMAGE selects one of ls's rows of IMAGE
    for img in images:
        ref = image_ref(img, images)
        if (ref, None) not in r["ref"]:
            continue
        rrc, rdoc, rerr = r["ref"][(ref, None)]["resolve"]
        v = resolve_view(rrc, rdoc, rerr)
        if v[0] == "selected":
            rows = [selected_digest_ls(pl) for pl in img.get("platforms") or []]
            rows += [img.get("digest")]
            rep.check("a: %s: resolve --ref %s selects one of ls's rows of the image" % (label, ref),
                      v[1] in rows, "resolve selects %s; ls rows %s" % (v[1], rows))

    # a: ls --platform P against resolve --ref IMAGE --platform P
    for p in PLATFORMS[1:]:
        lrc, ldoc, lerr = r["ls"][p]
        limgs = ldoc.get("images") if isinstance(ldoc, dict) else None
        if limgs is None:
            continue
        for img in limgs:
            ref = image_ref(img, limgs)
            if (ref, p) not in r["ref"]:
                continue
            rv = resolve_view(*r["ref"][(ref, p)]["resolve"])
            lv = resolved_view(img.get("resolved"))
            rep.check("a: %s: --platform %s: ls row of %s = resolve --ref %s" % (label, p, ref, ref),
                      lv == rv, "ls shows %s, resolve %s" % (lv, rv))

    # b: COMPLETE of ls against verify
    vrows = verify_rows(r["verify"][None][1])
    for img in images:
        for pl in img.get("platforms") or []:
            want = verify_complete(vrows, img, pl)
            rep.check("b: %s: COMPLETE of %s %s = verify's" % (
                label, image_ref(img, images), pl.get("manifest") or pl.get("platform")),
                want is not None and all(w == pl.get("complete") for w in want),
                "ls says %s, verify %s" % (pl.get("complete"), want if want is not None else "has no such image"))
    for p in PLATFORMS[1:]:
        ldoc = r["ls"][p][1]
        vrows = verify_rows(r["verify"][p][1])
        for img in (ldoc or {}).get("images") or [] if isinstance(ldoc, dict) else []:
            for pl in img.get("platforms") or []:
                if not pl.get("selected"):
                    continue
                want = verify_complete(vrows, img, pl)
                rep.check("b: %s: --platform %s: COMPLETE of the selected row of %s = verify's" % (
                    label, p, image_ref(img, ldoc["images"])),
                    want is not None and all(w == pl.get("complete") for w in want),
                    "ls says %s, verify --platform %s %s" % (pl.get("complete"), p, want))

    # c: per image and platform, every command that needs what resolve needs
    for (ref, p), cmds in sorted(r["ref"].items(), key=lambda kv: (kv[0][0], pname(kv[0][1]))):
        rrc, rdoc, rerr = cmds["resolve"]
        v = resolve_view(rrc, rdoc, rerr)
        if "inspect" not in cmds:
            continue
        irc, idoc, ierr = cmds["inspect"]
        mrc, mout, merr = cmds["cat-manifest"]
        crc, cout, cerr = cmds["cat-config"]
        tag = "c: %s: --ref %s --platform %s" % (label, ref, pname(p))
        if rrc in (3, 4):
            code = v[1]
            rep.check(tag + ": inspect has resolve's error", irc == rrc and err_code(idoc, ierr) == code,
                      "resolve exit %d %s, inspect exit %d %s" % (rrc, code, irc, err_code(idoc, ierr)))
            if fmt != "docker-archive":
                rep.check(tag + ": cat manifest has resolve's error",
                          mrc == rrc and err_code(None, merr) == code,
                          "resolve exit %d %s, cat exit %d %s" % (rrc, code, mrc, err_code(None, merr)))
            rep.check(tag + ": cat config has resolve's error", crc == rrc and err_code(None, cerr) == code,
                      "resolve exit %d %s, cat config exit %d %s" % (rrc, code, crc, err_code(None, cerr)))
            if p is not None and rrc == 4:
                vdoc = r["verify"][p][1]
                rep.check(tag + ": verify --platform reports resolve's error",
                          r["verify"][p][0] in (3, 4) and code_in_verify(code, vdoc),
                          "resolve %s; verify exit %d, errors %s" % (
                              code, r["verify"][p][0], [f.get("code") for f in verify_errors(vdoc)]))
        elif rrc == 0:
            if fmt != "docker-archive":
                got = "sha256:" + hashlib.sha256(mout).hexdigest() if mrc == 0 else None
                rep.check(tag + ": cat manifest writes the manifest resolve selects",
                          mrc == 0 and got == v[1], "cat exit %d (%s), wrote %s, resolve selects %s" % (
                              mrc, err_code(None, merr), got, v[1]))
            # the config: inspect and cat config both need it: an integrity error in it is
            # the same error in both (inspect may fail on the manifest's other fields too;
            # an absent config is shown by inspect, an error for cat)
            cfg = (rdoc.get("selected") or {}).get("config") if isinstance(rdoc, dict) else None
            cfgd = cfg.get("digest") if isinstance(cfg, dict) else None
            icode, ccode = err_code(idoc, ierr), err_code(None, cerr)
            imsg = json.dumps((idoc or {}).get("error")) if isinstance(idoc, dict) else ierr
            if crc == 4 and ccode in INTEGRITY:
                rep.check(tag + ": an integrity error of the config is inspect's error too",
                          irc == 4 and icode == ccode, "cat config exit 4 %s, inspect exit %d %s" % (ccode, irc, icode))
            if irc == 4 and icode in INTEGRITY and (cfgd and cfgd in imsg or fmt == "docker-archive"):
                rep.check(tag + ": an integrity error of the config is cat config's error too",
                          crc == 4 and ccode == icode, "inspect exit 4 %s, cat config exit %d %s" % (icode, crc, ccode))
            if crc == 4 and p is not None:
                code = err_code(None, cerr)
                vdoc = r["verify"][p][1]
                rep.check(tag + ": verify --platform reports the config's error",
                          code_in_verify(code, vdoc),
                          "cat config %s; verify errors %s" % (code, [f.get("code") for f in verify_errors(vdoc)]))
            if crc == 0:
                cfg = (rdoc.get("selected") or {}).get("config") if isinstance(rdoc, dict) else None
                want = cfg.get("digest") if isinstance(cfg, dict) else None
                if fmt == "docker-archive":
                    want = v[1]
                got = "sha256:" + hashlib.sha256(cout).hexdigest()
                rep.check(tag + ": cat config writes the selected config", got == want,
                          "cat config wrote %s, resolve's config %s" % (got, want))
        elif rrc == 1:
            rep.check(tag + ": inspect and cat say no match as resolve does",
                      irc == 1 and crc == 1 and (fmt == "docker-archive" or mrc == 1),
                      "inspect %d, cat manifest %d, cat config %d" % (irc, mrc, crc))

    # c: everything: an integrity error in an index, manifest or config that ls reads is an
    # error of ls, and an error ls shows is one verify shows
    vrc, vdoc, verr = r["verify"][None]
    docs = set()
    for img in images:
        docs.add(img.get("digest"))
        for pl in img.get("platforms") or []:
            docs.add(pl.get("manifest"))
            docs.add(pl.get("imageId"))
    docs.discard(None)
    verrs = [f for f in verify_errors(vdoc) if f.get("digest") in docs and
             (f.get("code") in INTEGRITY or f.get("code") in SHAPE)]
    ls_codes = set()
    for img in images:
        for pl in img.get("platforms") or []:
            e = pl.get("error")
            if isinstance(e, dict):
                ls_codes.add(e.get("code"))
    name = "c: %s: ls and verify agree on the documents ls reads" % label
    if verrs:
        rep.check(name, ls_rc == 4 and (ls_codes & {f["code"] for f in verrs}
                                        or ("invalid-json" in ls_codes and {f["code"] for f in verrs} & SHAPE)),
                  "verify: %s; ls exit %d, row errors %s" % (
                      sorted({(f["code"], f["digest"][:19]) for f in verrs}), ls_rc, sorted(ls_codes)))
    else:
        bad = {c for c in ls_codes if c in INTEGRITY}
        rep.check(name, not bad or all(code_in_verify(c, vdoc) for c in bad),
                  "ls row errors %s; verify errors %s" % (sorted(ls_codes), [f.get("code") for f in verify_errors(vdoc)]))


def strip_source(doc, path):
    """The JSON without the source's name (and its kind, which messages may name)."""
    s = json.dumps(doc, sort_keys=True).replace(json.dumps(path)[1:-1], "SOURCE")
    return json.loads(re.sub(r"\b(the|a|an) (directory|archive)\b", "the SOURCE", s))


def findings_key(doc):
    return sorted((f.get("code"), f.get("digest"), f.get("path"), f.get("severity"))
                  for f in ((doc or {}).get("findings") or [] if isinstance(doc, dict) else []))


def check_forms(unit, forms, results, rep):
    """d: the forms of one layout give the same answers."""
    if unit in NOT_SAME or len(forms) < 2:
        if unit in NOT_SAME:
            rep.skip("d: %s: forms compared" % unit, NOT_SAME[unit])
        return
    (l0, p0, _), r0 = forms[0], results[0]
    for (l1, p1, _), r1 in zip(forms[1:], results[1:]):
        tag = "d: %s vs %s" % (l0, l1)
        for p in PLATFORMS:
            a, b = r0["verify"][p], r1["verify"][p]
            rep.check("%s: verify --platform %s findings" % (tag, pname(p)),
                      a[0] == b[0] and findings_key(a[1]) == findings_key(b[1]),
                      "exit %d vs %d; only in the first %s; only in the second %s" % (
                          a[0], b[0], sorted(set(findings_key(a[1])) - set(findings_key(b[1])))[:6],
                          sorted(set(findings_key(b[1])) - set(findings_key(a[1])))[:6]))
            for cmd in ("ls", "resolve"):
                a, b = r0[cmd][p], r1[cmd][p]
                da, db = strip_source(a[1], p0), strip_source(b[1], p1)
                for d in (da, db):
                    if isinstance(d, dict):
                        d.pop("source", None)
                rep.check("%s: %s --platform %s JSON" % (tag, cmd, pname(p)), a[0] == b[0] and da == db,
                          "exit %d vs %d; %s" % (a[0], b[0], first_diff(da, db)))
        a, b = r0["all"], r1["all"]
        rep.check("%s: verify --all-platforms findings" % tag,
                  a[0] == b[0] and findings_key(a[1]) == findings_key(b[1]),
                  "exit %d vs %d" % (a[0], b[0]))
        for k in sorted(set(r0["ref"]) & set(r1["ref"]), key=lambda k: (k[0], pname(k[1]))):
            for cmd in ("resolve", "inspect"):
                if cmd not in r0["ref"][k] or cmd not in r1["ref"][k]:
                    continue
                a, b = r0["ref"][k][cmd], r1["ref"][k][cmd]
                da, db = strip_source(a[1], p0), strip_source(b[1], p1)
                for d in (da, db):
                    if isinstance(d, dict):
                        d.pop("source", None)
                rep.check("%s: %s --ref %s --platform %s JSON" % (tag, cmd, k[0], pname(k[1])),
                          a[0] == b[0] and da == db, "exit %d vs %d; %s" % (a[0], b[0], first_diff(da, db)))


def first_diff(a, b, where=""):
    if type(a) != type(b):
        return "%s: %r vs %r" % (where or "top", str(a)[:120], str(b)[:120])
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return first_diff(a.get(k), b.get(k), where + "." + k)
        return ""
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d vs %d items" % (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_diff(x, y, "%s[%d]" % (where, i))
        return ""
    return "" if a == b else "%s: %r vs %r" % (where, str(a)[:160], str(b)[:160])


def do_unit(unit, forms):
    rep = Report()
    all_forms = make_forms(unit, forms, rep)
    results = []
    for label, path, _ in all_forms:
        r = run_form(label, path)
        check_form(label, path, r, rep)
        results.append(r)
    check_forms(unit, all_forms, results, rep)
    return rep


# ------------------------------------------------------------------ the six cases
def model(name):
    return os.path.join(TESTDATA, "model", name)


def tar_of(src, name):
    dst = os.path.join(TMP, name)
    subprocess.run(["tar", "-C", src, "-cf", dst, "--"] + sorted(os.listdir(src)), check=True)
    return dst


def case1(rep):
    src = model("case1-manifest-says-index")
    for form in (src, tar_of(src, "case1.tar")):
        kind = "directory" if os.path.isdir(form) else "archive"
        for args in (["ls"], ["ls", "--platform", "linux/amd64"], ["resolve"], ["resolve", "--ref", "v1"],
                     ["inspect", "--ref", "v1"], ["verify"], ["verify", "--platform", "linux/amd64"]):
            rc, doc, err = run_json(args + [form])
            codes = {err_code(doc, err)}
            if args[0] == "verify":
                codes = {f.get("code") for f in verify_errors(doc)}
            if args[0] == "ls" and isinstance(doc, dict):
                for img in doc.get("images") or []:
                    codes.add(resolved_view(img.get("resolved"))[1])
                    for pl in img.get("platforms") or []:
                        if isinstance(pl.get("error"), dict):
                            codes.add(pl["error"].get("code"))
            rep.check("case 1 (%s): a manifest whose body says it is an index: %s exits 4, kind-mismatch"
                      % (kind, " ".join(args)), rc == 4 and "kind-mismatch" in codes,
                      "exit %d, codes %s" % (rc, sorted(c for c in codes if c)))
        rc, out, err = run(["cat", "--ref", "v1", form, "manifest"])
        rep.check("case 1 (%s): cat --ref v1 manifest exits 4, kind-mismatch" % kind,
                  rc == 4 and err_code(None, err) == "kind-mismatch", "exit %d, %s" % (rc, err.strip()[-200:]))


CASE2_CONFIG = "sha256:b15881a1a676c90560344ae2fb7169d7f87df727a84de4f5b0a4d3a5731327a8"


def case2(rep):
    src = model("case2-config-corrupt")
    for form in (src, tar_of(src, "case2.tar")):
        kind = "directory" if os.path.isdir(form) else "archive"
        t = "case 2 (%s): a corrupted config" % kind
        rc, doc, err = run_json(["verify", form])
        rep.check(t + ": verify reports digest-mismatch of the config, exit 4",
                  rc == 4 and code_in_verify("digest-mismatch", doc, CASE2_CONFIG),
                  "exit %d, errors %s" % (rc, [(f.get("code"), f.get("digest")) for f in verify_errors(doc)]))
        vtext = run(["verify", form])[1]
        rep.check(t + ": verify shows no platform read from the corrupt bytes",
                  "Amd64" not in json.dumps(doc) and "Amd64" not in vtext,
                  [l for l in vtext.splitlines() if "Amd64" in l][:2])
        rc, doc, err = run_json(["ls", form])
        rows = [pl for img in (doc or {}).get("images") or [] for pl in img.get("platforms") or []
                if pl.get("imageId") == CASE2_CONFIG] if isinstance(doc, dict) else []
        rep.check(t + ": ls exits 4 with digest-mismatch, t1 not complete",
                  rc == 4 and ("digest-mismatch" in json.dumps(doc)) and all(pl.get("complete") is not True for pl in rows)
                  and "Amd64" not in json.dumps(doc),
                  "exit %d, rows of t1 %s" % (rc, [(pl.get("platform"), pl.get("complete"), pl.get("error")) for pl in rows]))
        rc, doc, err = run_json(["resolve", form])
        rep.check(t + ": resolve (t1 a candidate whose config is read) exits 4, digest-mismatch",
                  rc == 4 and err_code(doc, err) == "digest-mismatch", "exit %d %s" % (rc, err_code(doc, err)))
        rc, doc, err = run_json(["resolve", "--ref", "t1", form])
        # the --ref root is never platform-checked (doc/resolution.md 5.3): its config is read
        # for the report only; whatever the outcome, the corrupt bytes give no platform
        sel = (doc or {}).get("selected") if isinstance(doc, dict) else None
        good = (rc == 4 and err_code(doc, err) == "digest-mismatch") or (
            rc == 0 and isinstance(sel, dict) and sel.get("platform") is None
            and any(CASE2_CONFIG in w and "hash" in w for w in doc.get("warnings") or []))
        rep.check(t + ": resolve --ref t1 takes no platform from the corrupt config and says so",
                  good, "exit %d, platform %s, warnings %s" % (rc, sel and sel.get("platform"), (doc or {}).get("warnings")))
        for args in (["inspect", "--ref", "t1"],):
            rc, doc, err = run_json(args + [form])
            rep.check(t + ": inspect --ref t1 (it shows the config) exits 4, digest-mismatch",
                      rc == 4 and err_code(doc, err) == "digest-mismatch", "exit %d %s" % (rc, err_code(doc, err)))
        rc, out, err = run(["cat", "--ref", "t1", form, "config"])
        rep.check(t + ": cat --ref t1 config exits 4, digest-mismatch",
                  rc == 4 and err_code(None, err) == "digest-mismatch", "exit %d %s" % (rc, err.strip()[-160:]))


def case3(rep):
    # umoci-multitag: v1 is a platform-less manifest whose config says linux/amd64 (the
    # issue's t1); resolve --ref selects a --ref root whatever its platform (5.3)
    for form in (os.path.join(TESTDATA, "samples", "umoci-multitag"),
                 tar_of(os.path.join(TESTDATA, "samples", "umoci-multitag"), "case3.tar")):
        kind = "directory" if os.path.isdir(form) else "archive"
        t = "case 3 (%s): --platform linux/arm64 and a linux/amd64 image" % kind
        rc, ldoc, err = run_json(["ls", "--platform", "linux/arm64", form])
        lrow = next((img for img in (ldoc or {}).get("images") or [] if "v1" in (img.get("names") or [])), None) \
            if isinstance(ldoc, dict) else None
        rrc, rdoc, rerr = run_json(["resolve", "--ref", "v1", "--platform", "linux/arm64", form])
        rv = resolve_view(rrc, rdoc, rerr)
        lv = resolved_view(lrow and lrow.get("resolved"))
        rep.check(t + ": ls shows v1 as resolve --ref v1 selects it", lrow is not None and lv == rv,
                  "ls %s, resolve %s" % (lv, rv))
        vrc, vdoc, verr = run_json(["verify", "--platform", "linux/arm64", form])
        checked = any(img.get("name") == "v1" and img.get("platforms") for img in (vdoc or {}).get("images") or []) \
            if isinstance(vdoc, dict) else False
        rep.check(t + ": verify checks v1 exactly when resolve --ref v1 selects it",
                  checked == (rv[0] == "selected"), "verify checks v1: %s; resolve %s" % (checked, rv))


CASE4_BLOB = "sha256:c98840f8db1fa2575a525e38d80a9cc69435ff6047f5c85c2fcb4b27ae5acfb9"


def case4(rep):
    src = model("case4-unreferenced-flipped")
    arc = tar_of(src, "case4.tar")
    a = run_json(["verify", src])
    b = run_json(["verify", arc])
    fa = [f for f in (a[1] or {}).get("findings") or [] if f.get("digest") == CASE4_BLOB]
    fb = [f for f in (b[1] or {}).get("findings") or [] if f.get("digest") == CASE4_BLOB]
    key = lambda fs: sorted((f.get("code"), f.get("severity"), f.get("path"), f.get("message")) for f in fs)
    rep.check("case 4: a flipped byte in an unreferenced blob: directory and archive give the same findings",
              a[0] == b[0] and key(fa) == key(fb), "directory exit %d %s; archive exit %d %s" % (a[0], key(fa), b[0], key(fb)))
    for kind, fs in (("directory", fa), ("archive", fb)):
        rep.check("case 4 (%s): the unreferenced blob is hashed and found not to match its name" % kind,
                  any(f.get("code") == "digest-mismatch" or "hash" in (f.get("message") or "") for f in fs),
                  str(key(fs)))


def case5(rep):
    arc = model("ctr-export-two.tar")
    flat, armorder = "example.com/flat:flat", "example.com/armorder:armorder"
    unpacked = os.path.join(TMP, "case5")
    os.makedirs(unpacked, exist_ok=True)
    subprocess.run(["bsdtar", "-xf", arc, "-C", unpacked], check=True)
    for form in (arc, unpacked):
        kind = "directory" if os.path.isdir(form) else "archive"
        t = "case 5 (%s): ctr export of flat and armorder" % kind
        rc, doc, err = run_json(["ls", form])
        names = {img.get("digest"): img.get("names") or [] for img in (doc or {}).get("images") or []} \
            if isinstance(doc, dict) else {}
        fl = names.get("sha256:4fefe2aad61acc7e5495e72c6f4d1da1a6d5dfb86048bb6dc8c70ae52475efa7", [])
        ar = names.get("sha256:a9d434c83b5cf9636b9fda47a6b0d8761d5d715bc650a2145397038436d0e64a", [])
        rep.check(t + ": ls names the flat image flat only", rc == 0 and flat in fl and armorder not in fl,
                  "exit %d, names %s" % (rc, fl))
        rep.check(t + ": ls names the armorder index armorder only", armorder in ar and flat not in ar,
                  "names %s" % ar)
        rc, doc, err = run_json(["inspect", "--ref", flat, form])
        inames = ((doc or {}).get("image") or {}).get("names") if isinstance(doc, dict) else None
        rep.check(t + ": inspect --ref %s names it flat only" % flat,
                  rc == 0 and inames is not None and flat in inames and armorder not in inames,
                  "exit %d, names %s" % (rc, inames))
        rc, doc, err = run_json(["inspect", "--ref", armorder, form])
        inames = ((doc or {}).get("image") or {}).get("names") if isinstance(doc, dict) else None
        rep.check(t + ": inspect --ref %s names it armorder only" % armorder,
                  rc == 0 and inames is not None and armorder in inames and flat not in inames,
                  "exit %d, names %s" % (rc, inames))


def case6(rep):
    # 20,000 images in one index.json of about 6 MB, as an air-gapped store keeps them
    root = os.path.join(TMP, "case6")
    b = os.path.join(root, "blobs", "sha256")
    os.makedirs(b)
    def put(data):
        h = hashlib.sha256(data).hexdigest()
        with open(os.path.join(b, h), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + h, "size": len(data)}
    layer = put(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00")
    config = put(b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}')
    entries = []
    for i in range(20000):
        m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
             "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")],
             "annotations": {"n": str(i)}}
        d = put(json.dumps(m, separators=(",", ":")).encode())
        name = "registry.example.com/product/component-%05d:v1.%d.%d" % (i, i % 7, i % 13)
        entries.append(dict(d, mediaType="application/vnd.oci.image.manifest.v1+json",
                            platform={"architecture": "amd64", "os": "linux"},
                            annotations={"io.containerd.image.name": name,
                                         "org.opencontainers.image.ref.name": name,
                                         "org.opencontainers.image.created": "2024-01-01T00:00:00Z",
                                         "dev.cosignproject.cosign/signature": "x" * 40}))
    with open(os.path.join(root, "index.json"), "w") as f:
        f.write(json.dumps({"schemaVersion": 2, "manifests": entries}, separators=(",", ":")))
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    size = os.path.getsize(os.path.join(root, "index.json"))
    rep.check("case 6: the generated index.json is over 6,000,000 bytes", size > 6000000, str(size))
    last = entries[-1]["annotations"]["org.opencontainers.image.ref.name"]
    rc, doc, err = run_json(["ls", root])
    n = len((doc or {}).get("images") or []) if isinstance(doc, dict) else 0
    rep.check("case 6: ls lists the 20,000 images", rc == 0 and n == 20000, "exit %d, %d images, %s" % (rc, n, err_code(doc, err)))
    rc, doc, err = run_json(["resolve", "--ref", last, root])
    sel = ((doc or {}).get("selected") or {}).get("digest") if isinstance(doc, dict) else None
    rep.check("case 6: resolve --ref (the last image) selects it", rc == 0 and sel == entries[-1]["digest"],
              "exit %d %s" % (rc, err_code(doc, err)))
    rc, doc, err = run_json(["resolve", root])
    rep.check("case 6: resolve reads the index (never json-too-large)",
              err_code(doc, err) != "json-too-large" and rc in (0, 4),
              "exit %d %s" % (rc, err_code(doc, err)))
    rc, doc, err = run_json(["verify", root])
    rep.check("case 6: verify checks the 20,000 images, exit 0", rc == 0,
              "exit %d, errors %s" % (rc, [f.get("code") for f in verify_errors(doc)][:5]))
    shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------ main
def main():
    jobs = int(os.environ.get("CONSISTENCY_JOBS") or min(2, os.cpu_count() or 1))
    units = collect() if not WRAPPER else []
    only = os.environ.get("CONSISTENCY_ONLY")  # a pattern over unit names, for debugging
    if only:
        units = [u for u in units if fnmatch.fnmatchcase(u[0], only)]
    cases = [case1, case2, case3, case4, case5, case6]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = [ex.submit(do_unit, u, f) for u, f in units]
        cfuts = []
        for c in cases if not only else []:
            rep = Report()
            cfuts.append(ex.submit(lambda c=c, rep=rep: (c(rep), rep)[1]))
        for f in futs + cfuts:
            emit(f.result())
    global failed
    for pat, why, nfail, npass, *skips in XFAIL:
        if only or (WRAPPER and not pat.startswith("case")):
            continue
        if nfail == 0 and npass == 0 and skips:
            continue  # its checks were skipped
        if REDUCED and pat.startswith(tuple("abcd")):
            continue  # the reduced matrix may not run the checks that fail
        if nfail == 0:
            failed += 1
            if npass:
                print("not ok - XPASS %s (%s): all %d of its checks pass now; remove it from the XFAIL list"
                      % (pat, why, npass))
            else:
                print("not ok - XFAIL %s matches no check; remove it from the list" % pat)
    print("# %d expected failures (XFAIL)" % xfailed)
    if skipped:
        print("%d passed, %d failed (%d skipped)" % (passed, failed, skipped))
    else:
        print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


sys.exit(main())
PY
exit $?
