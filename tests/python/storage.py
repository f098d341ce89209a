"""Where a write test writes: a local folder or a prefix of an S3 bucket, behind one
interface, so that each write test has one body for both.

The S3 bucket is the one `tests/s3/up` started (FLINT_S3_ENDPOINT, FLINT_S3_BUCKET,
FLINT_S3_ACCESS_KEY, FLINT_S3_SECRET_KEY); without it the S3 cases are skipped. Objects
are listed with a signed ListObjectsV2 request (the standard library only: no AWS SDK)."""

import datetime
import hashlib
import hmac
import os
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest

S3_ENV = ("FLINT_S3_ENDPOINT", "FLINT_S3_BUCKET", "FLINT_S3_ACCESS_KEY", "FLINT_S3_SECRET_KEY")
KINDS = ["local", "s3"]


def s3_available():
    return all(os.environ.get(name) for name in S3_ENV)


def s3_conf_args():
    """`--conf` arguments giving a Flint server the test bucket's endpoint and keys."""
    if not s3_available():
        return []
    conf = {
        "spark.hadoop.fs.s3a.endpoint": os.environ["FLINT_S3_ENDPOINT"],
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.access.key": os.environ["FLINT_S3_ACCESS_KEY"],
        "spark.hadoop.fs.s3a.secret.key": os.environ["FLINT_S3_SECRET_KEY"],
    }
    return [arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]


def storage(kind, tmp_path):
    """The storage of `kind` ("local" or "s3") for one test; skips when S3 is absent."""
    if kind == "local":
        return LocalStorage(tmp_path)
    if not s3_available():
        pytest.skip("no S3 server: tests/s3/test starts one (tests/s3/up) and runs these")
    return S3Storage(f"tests/{uuid.uuid4().hex}")


def _visible(relative):
    return not any(part.startswith(("_", ".")) for part in relative.split("/"))


class LocalStorage:
    """A local folder."""

    def __init__(self, root):
        self.root = root

    def path(self, name):
        return str(self.root / name)

    def keys(self, name=""):
        """Every file under `name`, relative to it, sorted."""
        base = os.path.join(self.root, name)
        return sorted(
            os.path.relpath(os.path.join(d, f), base) for d, _, files in os.walk(base) for f in files
        )

    def entries(self, name):
        """The names directly under `name` (files and folders)."""
        return sorted(os.listdir(os.path.join(self.root, name)))

    def data_files(self, name):
        return [k for k in self.keys(name) if _visible(k)]

    def leftovers(self):
        """Staging or set-aside folders writes left beside their targets."""
        return sorted(n for n in os.listdir(self.root) if n.startswith(".flint-"))

    def attempt_dirs(self):
        """The task attempts' folders (`_temporary/<partition>-<attempt>`) staged writes
        have written a file into."""
        return sorted({k.split("/")[2] for k in self.keys() if k.startswith(".flint-") and k.split("/")[1:2] == ["_temporary"]})


class S3Storage(LocalStorage):
    """A prefix of the test bucket."""

    def __init__(self, prefix):
        self.endpoint = os.environ["FLINT_S3_ENDPOINT"].rstrip("/")
        self.bucket = os.environ["FLINT_S3_BUCKET"]
        self.prefix = prefix

    def path(self, name):
        return f"s3a://{self.bucket}/{self.prefix}/{name}"

    def keys(self, name=""):
        base = f"{self.prefix}/{name}".rstrip("/") + "/"
        return sorted(key[len(base):] for key in self._list(base))

    def entries(self, name):
        return sorted({k.split("/")[0] for k in self.keys(name)})

    def leftovers(self):
        return sorted({k.split("/")[0] for k in self.keys() if k.startswith(".flint-")})

    def attempt_dirs(self):
        """As on a local folder, counting the objects being uploaded too: a task's file
        is an object only once its (multipart) upload completes."""
        base = f"{self.prefix}/"
        keys = [k[len(base):] for k in self._list(base, uploads=True)] + self.keys()
        return sorted({k.split("/")[2] for k in keys if k.startswith(".flint-") and k.split("/")[1:2] == ["_temporary"]})

    def _list(self, prefix, uploads=False):
        """The keys of the objects under `prefix` (ListObjectsV2), or with `uploads`, of
        the multipart uploads in progress there (ListMultipartUploads)."""
        keys, token = [], None
        while True:
            query = {"uploads": "", "prefix": prefix} if uploads else {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            root = ET.fromstring(self._get(f"/{self.bucket}", query))
            ns = {"s3": root.tag.split("}")[0].strip("{")} if root.tag.startswith("{") else {}
            find = (lambda e, t: e.findall(f"s3:{t}", ns)) if ns else (lambda e, t: e.findall(t))
            keys += [c.text for item in find(root, "Upload" if uploads else "Contents") for c in find(item, "Key")]
            truncated = [e.text for e in find(root, "IsTruncated")]
            tokens = [e.text for e in find(root, "NextContinuationToken")]
            if truncated != ["true"] or not tokens:
                return keys
            token = tokens[0]

    def put(self, name, data):
        """Writes `data` (bytes) as the object `name` under the prefix (PutObject)."""
        self._request("PUT", f"/{self.bucket}/{self.prefix}/{name}", {}, data)

    def _get(self, path, query):
        return self._request("GET", path, query, b"")

    def _request(self, method, path, query, body):
        """A request signed with AWS Signature Version 4 (region us-east-1, service s3)."""
        url = urllib.parse.urlsplit(self.endpoint)
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        canonical_query = "&".join(
            f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(query.items())
        )
        payload = hashlib.sha256(body).hexdigest()
        headers = {"host": url.netloc, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join(
            [method, urllib.parse.quote(path), canonical_query, *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload]
        )
        scope = f"{day}/us-east-1/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + os.environ["FLINT_S3_SECRET_KEY"]).encode()
        for part in (day, "us-east-1", "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={os.environ['FLINT_S3_ACCESS_KEY']}/{scope}, SignedHeaders={signed}, Signature={signature}"
        )
        request = urllib.request.Request(
            f"{self.endpoint}{urllib.parse.quote(path)}?{canonical_query}", data=body or None, headers=headers, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()
