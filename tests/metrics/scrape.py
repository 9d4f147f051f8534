"""What the command-line metrics tests share: an HTTP GET and promtool's verdict."""
import subprocess
import urllib.error
import urllib.request


def get(url):
    """(status code, body) of GET url; an HTTP error status is an answer too."""
    try:
        r = urllib.request.urlopen(url, timeout=20)
        return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def check_with_promtool(promtool, text):
    """Fails, with promtool's words and the text, unless `promtool check metrics` accepts text."""
    check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert check.returncode == 0, f"promtool: {check.stdout}{check.stderr}\n{text}"
