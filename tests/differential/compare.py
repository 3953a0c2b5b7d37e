#!/usr/bin/env python3
"""compare.py - differential check of `ocidig resolve` against the containerd oracle.

Run through tests/differential/run.sh (see README.md there).  Python 3 stdlib only.

For every generated layout (the oracle's gen.py), every request platform (the
oracle's 18) and every mode (root = index.json, and --ref NAME for every ref
name in index.json) it runs

    oracle batch --explain --platforms ... [--ref NAME] DIR
    ocidig resolve --json --platform P [--ref NAME] DIR

and derives what ocidig must answer from the oracle's answer:

    oracle ok, manifest M                           -> ocidig selects M
    oracle no_match / unexpected_media_type /
           blob_not_found / manifest_not_found      -> ocidig selects dfs_manifest,
                                                       or no-match when it is null
    oracle bad_json                                  -> ocidig error invalid-json
    oracle media_type_mismatch, schema1              -> ocidig error kind-mismatch
    oracle invalid_argument                          -> ocidig error invalid-digest /
                                                       unsupported-digest-algorithm

Every disagreement is then explained or not.  To explain one, this file carries a
small *model* of both walks (containerd 1.6.20's limit-1 walk and doc/resolution.md's
backtracking walk) whose platform rules can be switched, one documented
difference at a time, from containerd 1.6's rule to newest's (doc/platforms.md
§8.2), plus two documented ocidig-vs-containerd
differences (size check, errors stop the walk).  A disagreement is *explained*
when

  1. with every switch off, the model reproduces the oracle (so the model is
     trusted on this case);
  2. with every switch on, the model gives exactly ocidig's answer (so ocidig
     follows doc/resolution.md here); and
  3. a minimal set of switches turns (1) into (2): the class names that set
     (e.g. "explained:config_platform").

Otherwise it is *unexplained*, and counted as failed.  ocidig answers that agree
with the oracle but not with the all-switches-on model (ocidig follows 1.6
where doc/platforms.md says newest) are failures too ("suspect:agrees_with_1.6").
"""
import argparse
import collections
import hashlib
import importlib.util
import itertools
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (MT_OCI_INDEX, MT_DOCKER_LIST)
MANIFEST_TYPES = (MT_OCI_MANIFEST, MT_DOCKER_MANIFEST)
REF_ANN = "org.opencontainers.image.ref.name"
HOST = ("linux", "amd64", "")          # every vector and the oracle assume this host
MAX_NESTING = 64

# The switches, in the order they are tried.  The first four are doc/platforms.md §8.2
# items (6, 2+3, 4, 5); the last two are doc/resolution.md §8 choices (2, 3).
RULES = ("config_platform", "arm64_variants", "os_features", "windows_osversion")
SWITCHES = RULES + ("size_check", "errors_stop")
SWITCH_DOC = {
    "config_platform": "platforms.md §8.2 (6): newest reads variant/os.version/os.features of the config "
                       "of a platform-less entry; 1.6 only os+architecture (arm config = arm/v7)",
    "arm64_variants": "platforms.md §8.2 (2, 3): arm64 v8.x/v9.x normalization and fallback table",
    "os_features": "platforms.md §8.2 (4): os.features normalized, subset rule, more features first",
    "windows_osversion": "platforms.md §8.2 (5): Windows os.version compatibility rule in Only",
    "size_check": "resolution.md §4, §8 (2): a blob whose length differs from the descriptor "
                  "size is an integrity error (containerd uses the file size)",
    "errors_stop": "resolution.md §2.4, §8 (3): integrity/content errors stop the walk; the oracle's "
                   "dfs_manifest (not containerd) silently skips them",
}
# oracle error class -> ocidig error codes
CLASS_CODES = {
    "bad_json": {"invalid-json"},
    "media_type_mismatch": {"kind-mismatch"},
    "schema1": {"kind-mismatch"},
    "invalid_argument": {"invalid-digest", "unsupported-digest-algorithm"},
    "size-mismatch": {"size-mismatch"},       # model-only pseudo class (switch size_check)
}
SOFT_CLASSES = {"no_match", "unexpected_media_type", "blob_not_found", "manifest_not_found"}


# =====================================================================  platforms

def atoi(s):
    """Go strconv.Atoi on the small inputs we meet."""
    return int(s) if re.fullmatch(r"[+-]?[0-9]+", s) else None


def norm_os(os_):
    if os_ == "":
        return HOST[0]
    os_ = os_.lower()
    return "darwin" if os_ == "macos" else os_


def norm_arch(arch, variant, rules):
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", ("" if variant == "v1" else variant)
    if arch in ("aarch64", "arm64"):
        if variant in ("8", "v8"):
            variant = ""
        elif "arm64_variants" in rules and variant == "v8.0":
            variant = ""
        elif "arm64_variants" in rules and variant in ("9", "9.0", "v9.0"):
            variant = "v9"
        return "arm64", variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            return "arm", "v7"
        if variant in ("5", "6", "8"):
            return "arm", "v" + variant
    return arch, variant


class Plat(tuple):
    """(os, architecture, variant, os.version, os.features tuple)"""
    __slots__ = ()

    def __new__(cls, os_="", arch="", variant="", osv="", feats=()):
        return tuple.__new__(cls, (os_, arch, variant, osv, tuple(feats)))

    os_ = property(lambda s: s[0])
    arch = property(lambda s: s[1])
    variant = property(lambda s: s[2])
    osv = property(lambda s: s[3])
    feats = property(lambda s: s[4])

    def fmt(self):
        o = self.os_
        if self.osv or self.feats:
            o += "(" + self.osv + "".join("+" + f for f in self.feats) + ")"
        return "/".join(x for x in (o, self.arch, self.variant) if x)


def _s(v):
    return v if isinstance(v, str) else ""


def plat_from_json(p):
    feats = p.get("os.features")
    feats = [f for f in feats if isinstance(f, str)] if isinstance(feats, list) else []
    return Plat(_s(p.get("os")), _s(p.get("architecture")), _s(p.get("variant")), _s(p.get("os.version")), feats)


def normalize(p, rules):
    a, v = norm_arch(p.arch, p.variant, rules)
    feats = p.feats
    if "os_features" in rules and feats:
        feats = tuple(sorted(set(feats)))
    return Plat(norm_os(p.os_), a, v, p.osv, feats)


def parse_request(s):
    """platforms.Parse for the 2- and 3-part specifiers the oracle uses (same in both versions)."""
    parts = s.split("/")
    if len(parts) == 2:
        a, v = norm_arch(parts[1], "", ())
        if a == "arm" and v == "v7":
            v = ""
        return Plat(norm_os(parts[0]), a, v)
    if len(parts) == 3:
        a, v = norm_arch(parts[1], parts[2], ())
        if a == "arm64" and v == "":
            v = "v8"
        return Plat(norm_os(parts[0]), a, v)
    raise ValueError("request %r: only os/arch[/variant] is modelled" % s)


def _arm64_table(v):
    if v in ("", "v8"):
        return ["v8"]
    m = re.fullmatch(r"v8\.([1-9])", v)
    if m:
        return ["v8.%d" % i for i in range(int(m.group(1)), 0, -1)] + ["v8"]
    if v == "v9":
        return ["v9"] + ["v8.%d" % i for i in range(5, 0, -1)] + ["v8"]
    m = re.fullmatch(r"v9\.([1-7])", v)
    if m:
        n = int(m.group(1))
        return (["v9.%d" % i for i in range(n, 0, -1)] + ["v9"] +
                ["v8.%d" % i for i in range(min(n + 5, 9), 0, -1)] + ["v8"])
    return None


def vector(n, rules):
    """platformVector(N): what Only(N) accepts, most preferred first."""
    def mk(arch, var):
        return Plat(n.os_, arch, var, n.osv, n.feats)
    if n.arch == "amd64":
        vec = [n]
        k = atoi(n.variant[1:] if n.variant.startswith("v") else n.variant)
        if k is not None and k > 1:
            vec += [mk("amd64", "v%d" % i) for i in range(k - 1, 0, -1)]
        return vec + [mk("386", "")]
    if n.arch == "arm":
        vec = [n]
        k = atoi(n.variant[1:] if n.variant.startswith("v") else n.variant)
        if k is not None and k > 5:
            vec += [mk("arm", "v%d" % i) for i in range(k - 1, 4, -1)]
        return vec
    if n.arch == "arm64":
        if "arm64_variants" not in rules:
            return [n] + vector(mk("arm", n.variant or "v8"), rules)
        tab = _arm64_table(n.variant)
        if tab is None:
            return []
        return [mk("arm64", v) for v in tab] + [mk("arm", v) for v in ("v8", "v7", "v6", "v5")]
    return [n]


def _winver(s):
    parts = s.split(".")
    if len(parts) < 3:
        return None
    b = parts[2]
    if not all(re.fullmatch(r"[0-9]+", x) for x in (parts[0], parts[1], b)):
        return None
    mj, mn, bd = int(parts[0]), int(parts[1]), int(b)
    if mj > 255 or mn > 255 or bd > 65535:
        return None
    return mj, mn, bd


def _win_ok(req_osv, cand_osv):
    q = _winver(req_osv)
    if q is None or q == (0, 0, 0) or cand_osv == "":
        return True
    v = _winver(cand_osv) or (0, 0, 0)
    if q[0] != v[0] or q[1] != v[1]:
        return False
    if q[2] < 20348:
        return v[2] == q[2]
    return 20348 <= v[2] <= q[2]


class Matcher:
    """platforms.Only(request) under a set of newest switches."""

    def __init__(self, request, rules):
        self.rules = rules
        self.req = normalize(request, rules)
        self.vec = [normalize(e, rules) for e in vector(self.req, rules)]
        self.raw_vec = vector(self.req, rules)

    def _entry(self, raw_e, e, c_raw):
        feats = list(c_raw.feats)
        win = "windows_osversion" in self.rules and raw_e.os_ == "windows"
        if win and "win32k" in feats:
            feats.remove("win32k")
        c = normalize(Plat(c_raw.os_, c_raw.arch, c_raw.variant, c_raw.osv, feats), self.rules)
        if (e.os_, e.arch, e.variant) != (c.os_, c.arch, c.variant):
            return False
        if win and not _win_ok(e.osv, c.osv):
            return False
        if "os_features" in self.rules and c.feats and not set(c.feats) <= set(e.feats):
            return False
        return True

    def rank(self, c_raw):
        for i, (raw_e, e) in enumerate(zip(self.raw_vec, self.vec)):
            if self._entry(raw_e, e, c_raw):
                return i
        return None

    def key(self, c_raw):
        r = self.rank(c_raw)
        return (r, -len(c_raw.feats)) if "os_features" in self.rules else (r,)


# =====================================================================  layout access

class Fault(Exception):
    def __init__(self, cls, digest):
        Exception.__init__(self, cls)
        self.cls, self.digest = cls, digest


DIGEST_RE = {"sha256": re.compile(r"[a-f0-9]{64}"), "sha512": re.compile(r"[a-f0-9]{128}")}


class Layout:
    def __init__(self, path):
        self.path = path
        self._cache = {}
        with open(os.path.join(path, "index.json"), "rb") as f:
            self.index_bytes = f.read()
        self.index = json.loads(self.index_bytes)
        self.index_digest = "sha256:" + hashlib.sha256(self.index_bytes).hexdigest()

    def raw(self, digest):
        """bytes, or None when absent; raises Fault('invalid_digest') on bad grammar."""
        if digest == "index.json":
            return self.index_bytes
        if digest in self._cache:
            return self._cache[digest]
        alg, _, hexpart = digest.partition(":") if isinstance(digest, str) else ("", "", "")
        if alg not in DIGEST_RE or not DIGEST_RE[alg].fullmatch(hexpart):
            raise Fault("invalid_digest", digest)
        try:
            with open(os.path.join(self.path, "blobs", alg, hexpart), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            data = None
        self._cache[digest] = data
        return data

    def read_doc(self, d, want, size_check):
        """Reads and checks a JSON document.  want: 'manifest', 'index' or 'config'.
        Raises Fault with a containerd class name (ocidig codes follow from CLASS_CODES)."""
        dg = d.get("digest") if isinstance(d.get("digest"), str) else ""
        try:
            data = self.raw(dg)
        except Fault:
            raise Fault("invalid_argument", dg)
        if data is None:
            raise Fault("blob_not_found", dg)
        if size_check and dg != "index.json" and d.get("size") != len(data):
            raise Fault("size-mismatch", dg)
        try:
            doc = json.loads(data)
        except ValueError:
            raise Fault("bad_json", dg)
        if want == "config":
            if not isinstance(doc, dict):
                raise Fault("bad_json", dg)
            return doc
        if not isinstance(doc, dict):
            raise Fault("bad_json", dg)
        body_mt = doc.get("mediaType")
        if "fsLayers" in doc:
            raise Fault("schema1", dg)
        if want == "manifest" and ("manifests" in doc or body_mt in INDEX_TYPES):
            raise Fault("media_type_mismatch", dg)
        if want == "index" and ("config" in doc or "layers" in doc or body_mt in MANIFEST_TYPES):
            raise Fault("media_type_mismatch", dg)
        return doc


def desc_platform(d):
    p = d.get("platform")
    return plat_from_json(p) if isinstance(p, dict) else None


def candidates(children, m):
    """images.Manifest's filter and stable sort (nil platforms last, document order)."""
    with_p, nil_p = [], []
    for c in children:
        p = desc_platform(c)
        if p is None:
            nil_p.append(c)
        elif m.rank(p) is not None:
            with_p.append((m.key(p), len(with_p), c))
    with_p.sort(key=lambda t: (t[0], t[1]))
    return [c for _, _, c in with_p] + nil_p


def config_platform(L, manifest, rules, size_check):
    cfg = manifest.get("config")
    if not isinstance(cfg, dict):
        cfg = {"digest": ""}
    doc = L.read_doc(cfg, "config", size_check)
    if "config_platform" in rules:
        p = plat_from_json(doc)
    else:
        p = Plat(_s(doc.get("os")), _s(doc.get("architecture")))
    return normalize(p, rules), cfg.get("digest")


# =====================================================================  the walks

def containerd_walk(L, root, m, rules, size_check):
    """images.Manifest (limit 1).  -> ('ok', digest) | ('err', class, digest)."""
    saw = [False]

    def visit(d, is_root):
        mt = d.get("mediaType")
        if mt in MANIFEST_TYPES:
            doc = L.read_doc(d, "manifest", size_check)
            if not is_root and desc_platform(d) is None:
                cp, _ = config_platform(L, doc, rules, size_check)
                if m.rank(cp) is None:
                    return None
            return d.get("digest")
        if mt in INDEX_TYPES:
            doc = L.read_doc(d, "index", size_check)
            kids = doc.get("manifests") or []
            saw[0] = True
            c = candidates([k for k in kids if isinstance(k, dict)], m)
            return visit(c[0], False) if c else None
        raise Fault("unexpected_media_type", d.get("digest"))

    try:
        r = visit(root, True)
    except Fault as f:
        return ("err", f.cls, f.digest)
    if r is None:
        return ("err", "no_match" if saw[0] else "manifest_not_found", None)
    return ("ok", r)


def resolution_walk(L, root, m, rules, size_check, errors_stop, trace=None):
    """doc/resolution.md §2 with backtracking.  errors_stop=False is the oracle's dfsBacktrack.
    -> ('selected', digest) | ('no-match',) | ('error', class, digest)"""

    class Stop(Exception):
        pass

    err = [None]

    def try_manifest(d, is_root):
        try:
            doc = L.read_doc(d, "manifest", size_check)
            if is_root or desc_platform(d) is not None:
                return d.get("digest")
            cp, cfgd = config_platform(L, doc, rules, size_check)
        except Fault as f:
            if f.cls == "blob_not_found":
                return None
            if errors_stop:
                err[0] = f
                raise Stop()
            return None
        if trace is not None:
            trace.append(("config", d.get("digest"), cp))
        return d.get("digest") if m.rank(cp) is not None else None

    def try_index(d, level):
        if level > MAX_NESTING:
            if errors_stop:
                err[0] = Fault("nesting-too-deep", d.get("digest"))
                raise Stop()
            return None
        try:
            doc = L.read_doc(d, "index", size_check)
        except Fault as f:
            if f.cls == "blob_not_found" or not errors_stop:
                return None
            err[0] = f
            raise Stop()
        kids = [k for k in (doc.get("manifests") or []) if isinstance(k, dict)]
        for c in candidates(kids, m):
            r = try_desc(c, level + 1, False)
            if r:
                return r
        return None

    def try_desc(d, level, is_root):
        mt = d.get("mediaType")
        if mt in MANIFEST_TYPES:
            return try_manifest(d, is_root)
        if mt in INDEX_TYPES:
            return try_index(d, level)
        return None

    try:
        r = try_desc(root, 0, True)
    except Stop:
        return ("error", err[0].cls, err[0].digest)
    return ("selected", r) if r else ("no-match",)


def oracle_like(L, root, m, rules, size_check, errors_stop):
    """What the oracle-derived expectation would be under these switches: containerd's
    answer where it succeeds or fails hard, else the backtracking walk."""
    cd = containerd_walk(L, root, m, rules, size_check)
    if cd[0] == "ok":
        return ("selected", cd[1])
    if cd[1] not in SOFT_CLASSES:
        return ("error", cd[1], cd[2])
    return resolution_walk(L, root, m, rules, size_check, errors_stop)


# =====================================================================  answers

def same(a, b, check_digest=True):
    """a, b: ('selected', d) | ('no-match',) | ('error', class_or_code, digest?)."""
    if a[0] != b[0]:
        return False
    if a[0] == "selected":
        return a[1] == b[1]
    if a[0] == "error":
        ca = CLASS_CODES.get(a[1], {a[1]})
        cb = CLASS_CODES.get(b[1], {b[1]})
        if not ca & cb:
            return False
        if check_digest and len(a) > 2 and len(b) > 2 and a[2] and b[2]:
            # ocidig's side carries its message; the model's side a digest
            return a[2] in b[2] or b[2] in a[2]
        return True
    return True


def show(a):
    if a is None:
        return "-"
    if a[0] == "selected":
        return "selected " + (a[1] or "?")
    if a[0] == "error":
        return "error %s%s" % (a[1], (" at " + a[2]) if len(a) > 2 and a[2] and a[2].startswith("sha") else "")
    return a[0]


def oracle_expect(o):
    if o.get("ok"):
        return ("selected", o["manifest"])
    cls = o.get("class")
    if cls in SOFT_CLASSES:
        return ("selected", o["dfs_manifest"]) if o.get("dfs_manifest") else ("no-match",)
    return ("error", cls)


EXIT_FOR = {"selected": 0, "no-match": 1}


def ocidig_answer(out, rc):
    try:
        j = json.loads(out)
    except ValueError:
        return ("crash", "exit %d, no JSON" % rc), None
    oc = j.get("outcome")
    if oc == "selected":
        a = ("selected", (j.get("selected") or {}).get("digest"))
    elif oc == "no-match":
        a = ("no-match",)
    elif oc == "error":
        e = j.get("error") or {}
        a = ("error", e.get("code"), e.get("message") or "")
    else:
        a = ("crash", "outcome %r" % oc)
    want_rc = EXIT_FOR.get(oc)
    if oc == "error":
        want_rc = {"ref-ambiguous": 2, "ref-not-found": 2}.get(a[1], 4)
    return a, (None if want_rc is None or want_rc == rc else "exit %d, expected %d" % (rc, want_rc))


# =====================================================================  one layout

G = {}   # per-process globals set by init_worker


def init_worker(cfg):
    G.update(cfg)
    spec = importlib.util.spec_from_file_location("oracle_gen", os.path.join(cfg["oracle_dir"], "gen.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    G["gen"] = gen


def run_ocidig(layout, plat, ref):
    cmd = [G["ocidig"], "resolve", "--json", "--platform", plat]
    if ref is not None:
        cmd += ["--ref", ref]
    cmd.append(layout)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=G["ocidig_env"])
    return p.stdout.decode("utf-8", "replace"), p.returncode


def run_oracle(layout, plats, ref):
    cmd = [G["oracle"], "batch", "--explain", "--platforms", ",".join(plats)]
    if ref is not None:
        cmd += ["--ref", ref]
    cmd.append(layout)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout.decode()
    return {o.pop("platform"): o for o in (json.loads(l) for l in out.splitlines() if l.strip())}


def ref_hits(L, ref):
    return [e for e in (L.index.get("manifests") or []) if isinstance(e, dict)
            and (e.get("annotations") or {}).get(REF_ANN) == ref]


def explain(L, root, m_by_rules, request, A, E, o):
    """-> (class, detail dict)."""
    def m_for(rules):
        key = frozenset(rules)
        if key not in m_by_rules:
            m_by_rules[key] = Matcher(request, key)
        return m_by_rules[key]

    def g(switches):
        rules = frozenset(s for s in switches if s in RULES)
        return oracle_like(L, root, m_for(rules), rules, "size_check" in switches, "errors_stop" in switches)

    base = g(())
    full = resolution_walk(L, root, m_for(RULES), frozenset(RULES), True, True)
    detail = {"model_1.6": show(base), "model_newest": show(full)}
    # model validation against the oracle itself
    cd = containerd_walk(L, root, m_for(()), frozenset(), False)
    if o.get("ok"):
        cd_ok = cd == ("ok", o["manifest"])
    else:
        cd_ok = cd[0] == "err" and cd[1] == o.get("class")
    dfs = resolution_walk(L, root, m_for(()), frozenset(), False, False)
    dfs_ok = (dfs[1] if dfs[0] == "selected" else None) == o.get("dfs_manifest")
    if not (cd_ok and dfs_ok and same(base, E, check_digest=False)):
        detail["model_check"] = "containerd walk %s, dfs %s, base %s" % (
            "ok" if cd_ok else "MISMATCH " + repr(cd), "ok" if dfs_ok else "MISMATCH " + show(dfs), show(base))
        return "unexplained:model_does_not_reproduce_oracle", detail
    if not same(full, A):
        return "unexplained:ocidig_differs_from_resolution_model", detail
    for n in range(1, len(SWITCHES) + 1):
        hits = [s for s in itertools.combinations(SWITCHES, n) if same(g(s), A)]
        if hits:
            detail["switches"] = [list(h) for h in hits]
            detail["why"] = {s: SWITCH_DOC[s] for s in hits[0]}
            if "config_platform" in hits[0]:
                tr = []
                resolution_walk(L, root, m_for(RULES), frozenset(RULES), True, True, tr)
                detail["config_decisions"] = ["%s: config says %s" % (t[1], t[2].fmt()) for t in tr]
            return "explained:" + "+".join(hits[0]), detail
    return "unexplained:no_documented_difference", detail


def check_layout(job):
    seed, faults = job
    work = os.path.join(G["workdir"], "%s%d" % ("f" if faults else "s", seed))
    if os.path.exists(work):
        shutil.rmtree(work)
    summary = G["gen"].Gen(seed, faults).write(work)
    L = Layout(work)
    plats = G["platforms"]
    refs = list(dict.fromkeys(summary["refs"]))
    results = []          # (mode, class)
    problems = []         # details of every non-agreeing case
    m_cache = {}          # (platform) -> {frozenset(rules): Matcher}
    for ref in [None] + refs:
        orc = run_oracle(work, plats, ref)
        mode = "root" if ref is None else "ref"
        if ref is None:
            root = {"mediaType": MT_OCI_INDEX, "digest": "index.json", "size": len(L.index_bytes)}
        else:
            hits = ref_hits(L, ref)
            root = hits[0] if hits else None
        for plat in plats:
            o = orc[plat]
            out, rc = run_ocidig(work, plat, ref)
            A, rc_problem = ocidig_answer(out, rc)
            E = oracle_expect(o)
            request = parse_request(plat)
            mb = m_cache.setdefault(plat, {})
            detail = {}
            if A[0] == "crash":
                cls = "unexplained:ocidig_crash_or_bad_json"
            elif same(E, A, check_digest=False):
                if o.get("ok"):
                    cls = "agree:selected"
                elif E[0] == "selected":
                    cls = "agree:backtrack_" + o.get("class", "?")
                elif E[0] == "no-match":
                    cls = "agree:no_match"
                else:
                    cls = "agree:error_" + o.get("class", "?")
                # ocidig agrees with containerd 1.6: does it also follow the newest rules?
                if root is not None:
                    if frozenset(RULES) not in mb:
                        mb[frozenset(RULES)] = Matcher(request, frozenset(RULES))
                    full = resolution_walk(L, root, mb[frozenset(RULES)], frozenset(RULES), True, True)
                    if not same(full, A):
                        cls = "suspect:agrees_with_1.6_not_newest"
                        detail = {"model_newest": show(full)}
            elif ref is not None and A[0] == "error" and A[1] == "ref-ambiguous" and \
                    len({e.get("digest") for e in ref_hits(L, ref)}) > 1:
                cls = "explained:ref_ambiguous"
            elif root is None:
                cls = "unexplained:ref_not_in_index"
            else:
                cls, detail = explain(L, root, mb, request, A, E, o)
            if rc_problem and not cls.startswith("unexplained"):
                cls, detail = "unexplained:exit_code", dict(detail, exit=rc_problem)
            results.append((mode, cls))
            if not cls.startswith("agree"):
                problems.append(dict({"seed": seed, "faults": faults, "mode": mode, "ref": ref, "platform": plat,
                                      "class": cls, "oracle": o.get("manifest") if o.get("ok") else o.get("class"),
                                      "dfs_manifest": o.get("dfs_manifest"), "expected": show(E), "ocidig": show(A),
                                      "features": summary["features"], "gen_faults": summary["faults"]}, **detail))
    if not G["keep"]:
        shutil.rmtree(work)
    return seed, faults, results, problems


# =====================================================================  driver

def parse_seeds(spec):
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out += range(int(a), int(b) + 1)
        elif part:
            out.append(int(part))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", help="valid layouts: seeds, e.g. 1-2000 or 5,9,100-120")
    ap.add_argument("--fault-seeds", default="", help="layouts generated with --faults, e.g. 100001-100500")
    ap.add_argument("--fault-rate", type=float, default=0.3)
    ap.add_argument("--extra-platforms", default="",
                    help="more request platforms (os/arch[/variant] that containerd 1.6 Parse accepts)")
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--oracle-dir", required=True)
    ap.add_argument("--ocidig", required=True)
    ap.add_argument("--ld-library-path", default="")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the generated layouts in --workdir")
    ap.add_argument("--report", default=None, help="write every non-agreeing case here (JSONL)")
    ap.add_argument("--show", type=int, default=20, help="print at most this many unexplained cases")
    a = ap.parse_args()

    sys.path.insert(0, a.oracle_dir)
    import gen  # noqa: E402  (the oracle's generator: its request platforms)
    platforms = list(gen.DEFAULT_REQUESTS) + [p for p in a.extra_platforms.split(",") if p]
    jobs = [(s, 0.0) for s in parse_seeds(a.seeds or "")] + [(s, a.fault_rate) for s in parse_seeds(a.fault_seeds)]
    if not jobs:
        ap.error("no seeds")
    workdir = a.workdir or tempfile.mkdtemp(prefix="ocidig-diff-")
    os.makedirs(workdir, exist_ok=True)
    env = dict(os.environ)
    if a.ld_library_path:
        env["LD_LIBRARY_PATH"] = a.ld_library_path + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    cfg = {"oracle": a.oracle, "oracle_dir": a.oracle_dir, "ocidig": a.ocidig, "ocidig_env": env,
           "workdir": workdir, "keep": a.keep, "platforms": platforms}

    t0 = time.time()
    counts = {k: collections.Counter() for k in ("root", "ref", "faults/root", "faults/ref")}
    layouts = collections.Counter()
    problems = []
    done = 0
    with multiprocessing.Pool(a.jobs, initializer=init_worker, initargs=(cfg,)) as pool:
        for seed, faults, results, probs in pool.imap_unordered(check_layout, jobs, chunksize=2):
            layouts["faults" if faults else "valid"] += 1
            for mode, cls in results:
                counts[("faults/" if faults else "") + mode][cls] += 1
            problems += probs
            done += 1
            if sys.stderr.isatty() and done % 50 == 0:
                sys.stderr.write("\r%d/%d layouts" % (done, len(jobs)))
    if sys.stderr.isatty():
        sys.stderr.write("\r")
    if not a.keep and not a.workdir:
        shutil.rmtree(workdir, ignore_errors=True)

    problems.sort(key=lambda p: (p["faults"], p["seed"], p["mode"], p["ref"] or "", p["platform"]))
    if a.report:
        with open(a.report, "w") as f:
            for p in problems:
                f.write(json.dumps(p, sort_keys=True) + "\n")

    print("ocidig vs containerd %s oracle: %d valid layouts, %d layouts with --faults %g, %d platforms, %.0f s" % (
        "1.6.20", layouts["valid"], layouts["faults"], a.fault_rate, len(platforms), time.time() - t0))
    passed = failed = 0
    for mode, c in counts.items():
        if not c:
            continue
        n = sum(c.values())
        print("\n%s mode: %d cases" % (mode, n))
        for cls, k in sorted(c.items(), key=lambda kv: (kv[0].split(":")[0] != "agree",
                                                      kv[0].split(":")[0] != "explained", -kv[1], kv[0])):
            print("  %-55s %7d" % (cls, k))
            if cls.startswith(("unexplained", "suspect")):
                failed += k
            else:
                passed += k
    bad = [p for p in problems if p["class"].startswith(("unexplained", "suspect"))]
    if bad:
        print("\nunexplained disagreements (first %d of %d; all in %s):" % (min(a.show, len(bad)), len(bad),
                                                                          a.report or "--report FILE"))
        for p in bad[:a.show]:
            print("  " + json.dumps({k: v for k, v in p.items() if k != "features"}, sort_keys=True))
    print("\n%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
