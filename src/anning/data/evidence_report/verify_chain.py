"""Check an anning evidence package with Python's standard library only: python3 verify_chain.py [DIR]."""

import hashlib
import json
import sys
from pathlib import Path


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


PARTS = ("violations", "scenario", "actions")


def stored_verdict(verdict):
    """The verdict as the store hashes it: its repeated parts replaced by their SHA-256."""
    rest = {k: v for k, v in verdict.items() if k not in PARTS}
    rest["$parts"] = {k: sha256(canonical(verdict[k])) for k in PARTS if k in verdict}
    return canonical(rest)


def main(folder):
    problems = []
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: SHA-256 differs from manifest.json")
    prev, count, payloads = "0" * 64, 0, {}
    for line in (folder / "chain.jsonl").read_text(encoding="utf-8").splitlines():
        link = json.loads(line)
        count += 1
        if link["prev_hash"] != prev:
            problems.append(f"link {link['seq']}: prev_hash does not match the previous hash")
        if "payload" in link:
            payloads[link["seq"]] = link["payload"]
            if sha256(link["prev_hash"] + "\n" + link["payload"]) != link["hash"]:
                problems.append(f"record {link['seq']}: content does not match its hash")
        prev = link["hash"]
    if prev != manifest["chain_head"]:
        problems.append("the last hash differs from the chain head in manifest.json")
    for line in (folder / "messages.jsonl").read_text(encoding="utf-8").splitlines():
        m = json.loads(line)
        payload = payloads.get(m["seq"])
        if payload != m["payload"]:
            problems.append(f"record {m['seq']}: not in chain.jsonl with the same payload")
            continue
        fields = json.loads(payload)
        if fields["text"] != m["text"]:
            problems.append(f"record {m['seq']}: text differs from the hashed payload")
        verdict = m.get("verdict")
        if (sha256(stored_verdict(verdict)) if verdict is not None else None) != fields["verdict_sha256"]:
            problems.append(f"record {m['seq']}: verdict differs from the hashed payload")
    for p in problems:
        print("FAIL", p)
    print(f"{'OK' if not problems else 'BROKEN'}: {count} links, {len(payloads)} records with content, "
          f"head {prev}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent))
