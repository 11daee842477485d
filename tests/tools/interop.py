#!/usr/bin/env python3
"""Interoperability of mailsim serve with real mail software, over loopback.

Real clients talk to simulated servers through --map: Python's smtplib
(EHLO, a pipelined transaction, several recipients with one rejected, AUTH
PLAIN on submission), poplib (USER/PASS, STAT, LIST, UIDL, TOP, RETR, DELE,
QUIT), imaplib (LOGIN, LIST, CREATE with a Greek name, SELECT, APPEND,
SEARCH, FETCH BODY[] and BODYSTRUCTURE, STORE, COPY, EXPUNGE, IDLE), curl
(smtp://, pop3:// and imap://) and swaks; a client sending garbage is cut
off without holding up the others. The other way, the simulated MTA
delivers to Python's aiosmtpd, a real server playing an "external" host.
At the end SIGTERM stops mailsim, whose report, log and capture are checked.

usage: interop.py MAILSIM   (exit 0: every check passed, 1: a check failed)
Every wait is bounded, and the whole script stops itself after 90 seconds.
"""
import json
import os
import imaplib
import poplib
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

from aiosmtpd.controller import Controller

FAILS = []
PASSES = 0


def check(name, ok, detail=""):
    global PASSES
    if ok:
        PASSES += 1
    else:
        FAILS.append(name)
        print(f"FAIL: {name}{': ' + str(detail) if detail else ''}", flush=True)


def eq(name, got, want):
    check(name, got == want, f"got {got!r}, want {want!r}")


# --- the real server that plays mx.student.example --------------------------------

class Collector:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos),
                               envelope.content.decode("utf-8", "replace")))
        return "250 2.0.0 OK: stored by aiosmtpd"


def start_aiosmtpd(collector):
    """A free high port, picked at random; another one when it is taken."""
    for _ in range(20):
        port = random.randint(20000, 60000)
        ctl = Controller(collector, hostname="127.0.0.1", port=port, ready_timeout=5)
        try:
            ctl.start()
            return ctl, port
        except Exception:  # the port is taken, or the server did not come up
            try:
                ctl.stop()
            except Exception:
                pass
    raise SystemExit("interop: no free port for aiosmtpd after 20 tries")


SCENARIO = {
    "title": "interop",
    "servers": [
        {"host": "mail.alice.example", "domains": ["alice.example"],
         "users": [{"user": "alice", "password": "wonderland", "name": "Alice"}]},
        {"host": "mail.roberto.example", "domains": ["roberto.example"],
         "users": [{"user": "roberto", "password": "secret"}]},
        {"host": "mx.student.example", "domains": ["student.example"], "external": None},
    ],
    "clients": [{"host": "alice-pc", "user": "alice@alice.example"},
                {"host": "student-pc"}],
    "timeline": [
        {"at": "1s", "send": {"id": "m-out", "from": "alice@alice.example",
                              "to": ["bob@student.example"], "subject": "from the timeline",
                              "body": "to a real server"}},
    ],
    "expect": [
        {"name": "swaks's message is in Roberto's mailbox",
         "mailbox": {"user": "roberto@roberto.example", "subject": "swaks test"}},
        {"name": "a real client's SMTP session is traced",
         "event": {"kind": "smtp.command", "from": "student-pc", "verb": "EHLO"}},
        {"name": "the timeline's message leaves for the real server",
         "event": {"kind": "queue.relay", "host": "mail.alice.example", "message": "m-out"}},
    ],
}


# --- mailsim serve ----------------------------------------------------------------

def start_serve(mailsim, scenario_path, tmp):
    args = [mailsim, "serve", scenario_path,
            "--map", "127.0.0.1:0=mail.roberto.example:smtp",
            "--map", "127.0.0.1:0=mail.roberto.example:pop3",
            "--map", "127.0.0.1:0=mail.alice.example:submission",
            "--map", "127.0.0.1:0=mail.roberto.example:imap",
            "--format", "json", "--output", os.path.join(tmp, "report.json"),
            "--log", os.path.join(tmp, "serve.log"), "--pcap", os.path.join(tmp, "serve.pcap"),
            "--max-connections", "16", "--as", "student-pc"]
    err = open(os.path.join(tmp, "serve.err"), "w+")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
    ports = {}
    deadline = time.time() + 10
    while time.time() < deadline and len(ports) < 4 and proc.poll() is None:
        err.seek(0)
        for m in re.finditer(r"127\.0\.0\.1:(\d+) -> (\S+):(\d+)", err.read()):
            ports[(m.group(2), int(m.group(3)))] = int(m.group(1))
        time.sleep(0.05)
    if len(ports) < 4:
        err.seek(0)
        proc.kill()
        raise SystemExit(f"interop: mailsim serve did not print its maps: {err.read()}")
    return proc, err, ports


def wait_until(cond, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


# --- the checks -------------------------------------------------------------------

def smtplib_checks(port, sub_port):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        code, _ = s.ehlo("student.example")
        eq("smtplib EHLO: 250", code, 250)
        check("smtplib EHLO: PIPELINING offered", s.has_extn("pipelining"))
        check("smtplib EHLO: SIZE offered", s.has_extn("size"))
        refused = s.sendmail("student@example.org",
                             ["roberto@roberto.example", "ghost@roberto.example"],
                             "Subject: several recipients\r\n\r\none of two is unknown\r\n")
        eq("smtplib: the unknown recipient is refused, the other accepted",
           sorted(refused), ["ghost@roberto.example"])
        eq("smtplib: the refusal is 550", refused["ghost@roberto.example"][0], 550)
        try:
            s.sendmail("student@example.org", ["nobody@roberto.example"], "Subject: x\r\n\r\nx\r\n")
            check("smtplib: every recipient refused raises", False)
        except smtplib.SMTPRecipientsRefused as e:
            eq("smtplib: every recipient refused: 550", e.recipients["nobody@roberto.example"][0],
               550)
        s.rset()
    # AUTH PLAIN on submission, then relaying to the real server (mx.student.example).
    with smtplib.SMTP("127.0.0.1", sub_port, timeout=10) as s:
        s.ehlo("alice-laptop")
        check("submission offers AUTH PLAIN", "PLAIN" in s.esmtp_features.get("auth", "").upper(),
              s.esmtp_features)
        s.user, s.password = "alice", "wonderland"
        code, _ = s.auth("PLAIN", s.auth_plain)
        eq("smtplib AUTH PLAIN: 235", code, 235)
        refused = s.sendmail("alice@alice.example", ["bob@student.example"],
                             "Subject: relayed by smtplib\r\n\r\nthrough the simulation\r\n")
        eq("smtplib: submission relays for a logged-in user", refused, {})
    with smtplib.SMTP("127.0.0.1", sub_port, timeout=10) as s:
        s.ehlo("alice-laptop")
        s.user, s.password = "alice", "wrong"
        try:
            s.auth("PLAIN", s.auth_plain)
            check("smtplib AUTH PLAIN with a wrong password fails", False)
        except smtplib.SMTPAuthenticationError as e:
            eq("smtplib AUTH PLAIN with a wrong password: 535", e.smtp_code, 535)


def recv_replies(sock, n, seconds=10):
    """n complete SMTP replies (multi-line replies count once)."""
    data = b""
    deadline = time.time() + seconds
    sock.settimeout(0.2)
    while time.time() < deadline:
        lines = data.split(b"\r\n")[:-1]
        if sum(1 for ln in lines if ln[3:4] == b" ") >= n:
            break
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return [ln.decode() for ln in data.split(b"\r\n") if ln[3:4] == b" "]


def pipelined_check(port):
    """RFC 2920: MAIL, two RCPTs and DATA in one write; the replies come in order."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        eq("pipelining: greeting", [r[:3] for r in recv_replies(sock, 1)], ["220"])
        sock.sendall(b"EHLO pipeliner\r\n")
        recv_replies(sock, 1)
        sock.sendall(b"MAIL FROM:<p@example.org>\r\nRCPT TO:<roberto@roberto.example>\r\n"
                     b"RCPT TO:<nobody@roberto.example>\r\nDATA\r\n")
        codes = [r[:3] for r in recv_replies(sock, 4)]
        eq("pipelining: MAIL, RCPT, RCPT (unknown), DATA answered in order", codes,
           ["250", "250", "550", "354"])
        sock.sendall(b"Subject: pipelined\r\n\r\nsent in one go\r\n.\r\nQUIT\r\n")
        eq("pipelining: the message is accepted, then QUIT",
           [r[:3] for r in recv_replies(sock, 2)], ["250", "221"])


def poplib_checks(port):
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    check("poplib: greeting +OK", p.getwelcome().startswith(b"+OK"), p.getwelcome())
    check("poplib USER", p.user("roberto").startswith(b"+OK"))
    check("poplib PASS", p.pass_("secret").startswith(b"+OK"))
    count, size = p.stat()
    check("poplib STAT: at least 4 messages (smtplib, pipelined, curl, swaks)", count >= 4,
          (count, size))
    resp, listing, _ = p.list()
    eq("poplib LIST: one line per message", len(listing), count)
    check("poplib LIST: sizes add up to STAT's",
          sum(int(x.split()[1]) for x in listing) == size, listing)
    resp, uidls, _ = p.uidl()
    uids = [u.split()[1] for u in uidls]
    eq("poplib UIDL: one unique id per message", len(set(uids)), count)
    resp, top, _ = p.top(1, 0)
    check("poplib TOP 1 0: headers only", any(ln.startswith(b"Subject:") for ln in top) and
          b"" in top and top[-1] == b"", top[-3:])
    subjects = {}
    for i in range(1, count + 1):
        resp, lines, _ = p.retr(i)
        subj = [ln for ln in lines if ln.startswith(b"Subject: ")]
        subjects[subj[0][9:].decode() if subj else ""] = i
    for want in ("several recipients", "pipelined", "curl test", "swaks test"):
        check(f"poplib RETR: the message \"{want}\" is there", want in subjects, list(subjects))
    check("poplib DELE", p.dele(subjects.get("pipelined", 1)).startswith(b"+OK"))
    check("poplib QUIT", p.quit().startswith(b"+OK"))
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user("roberto")
    p.pass_("secret")
    eq("poplib: DELE then QUIT removed one message", p.stat()[0], count - 1)
    p.quit()
    try:
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        p.user("roberto")
        p.pass_("not-the-password")
        check("poplib: a wrong password is refused", False)
    except poplib.error_proto as e:
        check("poplib: a wrong password is refused with -ERR", str(e).startswith("b'-ERR"), e)


SCHOOL = '"&A6MDxwO,A7sDrg-"'  # "Σχολή" in modified UTF-7 (RFC 3501 5.1.3)


def imaplib_checks(imap_port, smtp_port):
    M = imaplib.IMAP4("127.0.0.1", imap_port, timeout=10)
    check("imaplib: greeting OK", M.welcome.startswith(b"* OK"), M.welcome)
    eq("imaplib LOGIN", M.login("roberto", "secret")[0], "OK")
    typ, boxes = M.list()
    check("imaplib LIST shows INBOX", typ == "OK" and any(b'"INBOX"' in b or b" INBOX" in b
                                                          for b in boxes), boxes)
    eq("imaplib CREATE with a Greek name", M.create(SCHOOL)[0], "OK")
    typ, boxes = M.list()
    check("imaplib LIST shows Σχολή in modified UTF-7", any(b"&A6MDxwO,A7sDrg-" in b for b in boxes),
          boxes)
    typ, data = M.select("INBOX")
    eq("imaplib SELECT INBOX", typ, "OK")
    before = int(data[0])
    msg = ("From: s@example.org\r\nTo: roberto@roberto.example\r\nSubject: imaplib append\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n"
           "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           "AAEC\r\n--b--\r\n").encode()
    typ, data = M.append("INBOX", None, None, msg)
    check("imaplib APPEND answers APPENDUID", typ == "OK" and b"APPENDUID" in data[0], data)
    typ, data = M.search("UTF-8", "SUBJECT", '"imaplib append"')
    nums = data[0].split()
    check("imaplib SEARCH finds the appended message", typ == "OK" and len(nums) == 1, data)
    num = nums[-1] if nums else b"1"
    typ, data = M.fetch(num, "(BODY[] BODYSTRUCTURE)")
    blob = b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data if x)
    check("imaplib FETCH BODY[] returns the message", msg in blob, blob[:200])
    check("imaplib FETCH BODYSTRUCTURE describes a multipart/mixed",
          b'"MIXED"' in blob.upper() and b'"APPLICATION" "OCTET-STREAM"' in blob.upper(), blob[-300:])
    typ, data = M.store(num, "+FLAGS", "(\\Flagged)")
    check("imaplib STORE +FLAGS", typ == "OK" and b"\\Flagged" in data[0], data)
    eq("imaplib COPY into Σχολή", M.copy(num, SCHOOL)[0], "OK")
    typ, data = M.status(SCHOOL, "(MESSAGES)")
    check("Σχολή now holds the copy", typ == "OK" and b"MESSAGES 1" in data[0], data)
    M.store(num, "+FLAGS", "(\\Deleted)")
    typ, data = M.expunge()
    check("imaplib EXPUNGE removes it from INBOX", typ == "OK" and data[0] == num, data)
    # IDLE (RFC 2177): new mail reaches an idling client at once.
    tag = M._new_tag().decode()
    M.send(f"{tag} IDLE\r\n".encode())
    cont = M.readline()
    check("IDLE: the server says it is idling", cont.startswith(b"+"), cont)
    s = smtplib.SMTP("127.0.0.1", smtp_port, timeout=10)
    s.sendmail("s@example.org", ["roberto@roberto.example"],
               "Subject: while idling\r\n\r\nping\r\n")
    s.quit()
    seen = b""
    deadline = time.time() + 10
    while time.time() < deadline and b"EXISTS" not in seen:
        seen += M.readline()
    check("IDLE: the new message is announced with EXISTS", b"EXISTS" in seen, seen)
    M.send(b"DONE\r\n")
    done = M.readline()
    while done.startswith(b"*"):
        done = M.readline()
    check("IDLE: DONE ends it with OK", done.startswith(tag.encode() + b" OK"), done)
    eq("imaplib LOGOUT", M.logout()[0], "BYE")
    return before


def curl_imap_checks(imap_port):
    r = run(["curl", "-sS", "--max-time", "15", f"imap://roberto:secret@127.0.0.1:{imap_port}/"])
    check("curl imap:// lists the folders", r.returncode == 0 and b"INBOX" in r.stdout,
          (r.returncode, r.stdout[:200], r.stderr[:200]))
    r = run(["curl", "-sS", "--max-time", "15",
             f"imap://roberto:secret@127.0.0.1:{imap_port}/INBOX;UID=1"])
    check("curl imap:// fetches message UID 1", r.returncode == 0 and b"Subject:" in r.stdout,
          (r.returncode, r.stdout[:200], r.stderr[:200]))
    r = run(["curl", "-sS", "--max-time", "15", f"imap://roberto:bad@127.0.0.1:{imap_port}/"])
    check("curl imap:// with a wrong password fails", r.returncode != 0, r.returncode)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=20, **kw)


def curl_checks(smtp_port, pop_port, tmp):
    msg = os.path.join(tmp, "curl-msg.txt")
    with open(msg, "w") as f:
        f.write("From: c@example.org\r\nTo: roberto@roberto.example\r\nSubject: curl test\r\n\r\n"
                "sent with curl\r\n")
    r = run(["curl", "-sS", "--max-time", "15", f"smtp://127.0.0.1:{smtp_port}",
             "--mail-from", "c@example.org", "--mail-rcpt", "roberto@roberto.example",
             "-T", msg])
    eq(f"curl smtp:// exit status ({r.stderr.decode().strip()})", r.returncode, 0)
    r = run(["curl", "-sS", "--max-time", "15", f"smtp://127.0.0.1:{smtp_port}",
             "--mail-from", "c@example.org", "--mail-rcpt", "ghost@roberto.example", "-T", msg])
    check("curl smtp:// to an unknown recipient fails", r.returncode != 0, r.returncode)
    r = run(["curl", "-sS", "--max-time", "15", f"pop3://roberto:secret@127.0.0.1:{pop_port}/"])
    lines = r.stdout.decode().split()
    eq("curl pop3:// lists the messages", r.returncode, 0)
    check("curl pop3:// listing has numbered lines", len(lines) >= 2 and lines[0] == "1", lines)
    r = run(["curl", "-sS", "--max-time", "15", f"pop3://roberto:secret@127.0.0.1:{pop_port}/1"])
    check("curl pop3:// retrieves message 1", r.returncode == 0 and b"Subject:" in r.stdout,
          r.stdout[:200])
    r = run(["curl", "-sS", "--max-time", "15", f"pop3://roberto:bad@127.0.0.1:{pop_port}/"])
    check("curl pop3:// with a wrong password fails", r.returncode != 0, r.returncode)


def swaks_checks(smtp_port, sub_port):
    r = run(["swaks", "--server", "127.0.0.1", "--port", str(smtp_port), "--from",
             "s@example.org", "--to", "roberto@roberto.example", "--header", "Subject: swaks test",
             "--body", "sent with swaks", "--timeout", "15"])
    out = r.stdout.decode()
    eq("swaks to port 25: exit 0", r.returncode, 0)
    check("swaks: the message is queued (250 after DATA)", "Ok: queued as" in out, out[-300:])
    r = run(["swaks", "--server", "127.0.0.1", "--port", str(sub_port), "--from",
             "alice@alice.example", "--to", "roberto@roberto.example", "--auth", "LOGIN",
             "--auth-user", "alice", "--auth-password", "wonderland", "--header",
             "Subject: swaks auth", "--timeout", "15"])
    out = r.stdout.decode()
    eq("swaks AUTH LOGIN on submission: exit 0", r.returncode, 0)
    check("swaks: 235 after AUTH LOGIN", "235 " in out, out[-300:])


def garbage_check(smtp_port):
    """A client sending 100 KB with no line end is cut off; the others go on."""
    bad = socket.create_connection(("127.0.0.1", smtp_port), timeout=10)
    slow = socket.create_connection(("127.0.0.1", smtp_port), timeout=10)  # says nothing
    try:
        bad.sendall(b"x" * (100 * 1024))
    except OSError:
        pass
    bad.settimeout(10)
    ended = False
    try:
        while True:
            chunk = bad.recv(4096)
            if not chunk:
                ended = True
                break
    except ConnectionResetError:
        ended = True
    except socket.timeout:
        pass
    check("garbage without a line end: the connection is closed", ended)
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as s:
        eq("another client is served meanwhile", s.noop()[0], 250)
    bad.close()
    slow.close()


def main():
    mailsim = os.path.abspath(sys.argv[1])
    signal.alarm(90)
    tmp = tempfile.mkdtemp(prefix="mailsim-interop-")
    collector = Collector()
    ctl, ext_port = start_aiosmtpd(collector)
    proc = err = None
    try:
        SCENARIO["servers"][2]["external"] = f"127.0.0.1:{ext_port}"
        path = os.path.join(tmp, "interop.json")
        with open(path, "w") as f:
            json.dump(SCENARIO, f)
        proc, err, ports = start_serve(mailsim, path, tmp)
        smtp_port = ports[("mail.roberto.example", 25)]
        pop_port = ports[("mail.roberto.example", 110)]
        sub_port = ports[("mail.alice.example", 587)]
        imap_port = ports[("mail.roberto.example", 143)]
        smtplib_checks(smtp_port, sub_port)
        pipelined_check(smtp_port)
        curl_checks(smtp_port, pop_port, tmp)
        swaks_checks(smtp_port, sub_port)
        curl_imap_checks(imap_port)
        imaplib_checks(imap_port, smtp_port)
        poplib_checks(pop_port)
        garbage_check(smtp_port)
        got = wait_until(lambda: len(collector.envelopes) >= 2, 15)
        check("aiosmtpd received both messages from the simulated MTA", got,
              [e[:2] for e in collector.envelopes])
        subjects = sorted(re.search(r"^Subject: (.*?)\r?$", e[2], re.M).group(1)
                          for e in collector.envelopes)
        eq("aiosmtpd: the subjects", subjects, ["from the timeline", "relayed by smtplib"])
        check("aiosmtpd: envelope sender and recipient kept",
              all(e[0] == "alice@alice.example" and e[1] == ["bob@student.example"]
                  for e in collector.envelopes), [e[:2] for e in collector.envelopes])
        check("aiosmtpd: the message carries mailsim's Received line",
              all("by mail.alice.example" in e[2] for e in collector.envelopes))
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        eq("mailsim serve stops on SIGTERM with exit 0 (every expectation held)", rc, 0)
        err.seek(0)
        stderr = err.read()
        check("serve said the real peer's simulated host", "127.0.0.1 is student-pc" in stderr,
              stderr)
        check("serve said the external server", "mx.student.example:25 is played by the real "
              f"server at 127.0.0.1:{ext_port}" in stderr, stderr)
        check("serve cut the garbage client off by a limit", "without a line end" in stderr, stderr)
        with open(os.path.join(tmp, "report.json")) as f:
            report = json.load(f)
        exps = report["runs"][0]["expectations"] if "runs" in report else report["expectations"]
        check("report: every expectation passed", all(e["passed"] for e in exps), exps)
        eq("report: three expectations", len(exps), 3)
        with open(os.path.join(tmp, "serve.log")) as f:
            log = f.read()
        check("log: the external host's replies are traced",
              re.search(r"mx\.student\.example +smtp\.reply .*code=250", log) is not None)
        check("log: the real clients' sessions come from student-pc", "from=student-pc" in log)
        with open(os.path.join(tmp, "serve.pcap"), "rb") as f:
            magic = f.read(4)
        check("pcap: a capture was written", magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4",
                                                       b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"),
              magic)
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        ctl.stop()
        if FAILS:
            print(f"interop: the files of this run are kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"interop: {PASSES} checks passed, {len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
