#!/usr/bin/python3
# The HTTP server of test_transfer.sh: static files from files/ (with
# If-Modified-Since), and endpoints for uri: /echo (the request as JSON),
# /status/N, /redirect, /auth (basic auth), /attach (a content-disposition
# name), /text.  The Date header is fixed so that outputs compare.
# Usage: server.py DIR PORTFILE  (binds 127.0.0.1, port chosen by the kernel)
import base64, http.server, json, os, sys

root, portfile = sys.argv[1], sys.argv[2]


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)

    def date_time_string(self, timestamp=None):
        return super().date_time_string(0 if timestamp is None else timestamp)

    def log_message(self, *a):
        pass

    def reply(self, code, body, ctype='text/plain', extra=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def route(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode() if n else ''
        p = self.path
        if p.startswith('/echo'):
            self.reply(200, json.dumps({
                'method': self.command, 'path': p, 'body': body,
                'ctype': self.headers.get('Content-Type'),
                'agent': self.headers.get('User-Agent'),
                'x_test': self.headers.get('X-Test')}),
                'application/json', [('X-Custom-Header', 'yes')])
        elif p.startswith('/status/'):
            code = int(p.split('/')[2])
            self.reply(code, 'status %d\n' % code)
        elif p == '/redirect':
            self.reply(302, '', extra=[('Location', '/files/a.txt')])
        elif p == '/auth':
            want = 'Basic ' + base64.b64encode(b'alice:s3cret').decode()
            if self.headers.get('Authorization') == want:
                self.reply(200, 'welcome\n')
            else:
                self.reply(401, 'no\n', extra=[('WWW-Authenticate', 'Basic realm="t"')])
        elif p == '/attach':
            self.reply(200, 'attached\n', 'application/octet-stream',
                       [('Content-Disposition', 'attachment; filename="named.txt"')])
        elif p == '/text':
            self.reply(200, 'plain text\nline 2\n')
        else:
            return False
        return True

    def do_GET(self):
        if not self.route():
            super().do_GET()

    def do_HEAD(self):
        if not self.route():
            super().do_HEAD()

    do_POST = do_PUT = do_DELETE = do_PATCH = lambda self: self.route() or self.reply(404, 'nope\n')


srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + '.tmp', portfile)
srv.serve_forever()
