/*
 * conn.c: connections over libssh (one session per host for the run, one
 * channel per command) and local ones (fork/exec of /bin/sh).  Files move
 * through the same command channel (cat into a temporary file, then mv):
 * one round trip, and it works with become, which SFTP does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <openssl/evp.h>

#include "conn.h"
#include "known_hosts.h"
#include "shell.h"
#include "util.h"

#define CONN_OUTPUT_CAP		(64u << 20)
#define CONN_DEFAULT_CONNECT	10

struct conn {
	struct conn_opts	 o;		/* strings owned */
	ssh_session		 s;
	bool			 open;
	bool			 dead;
	char			*known_hosts;	/* resolved path */
	ssh_channel		 sh;		/* the resident shell, or NULL */
	bool			 no_sh;		/* none: a channel a command */
	int			 b64;		/* base64 there: 1, not: -1 */
	char			 token[33];	/* the shell's end marker */
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

int
conn_global_init(void)
{
	/* A dead host's socket must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return ssh_init() == SSH_OK ? 0 : -1;
}

struct conn *
conn_new(const struct conn_opts *o)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->o = *o;
	c->o.name = xstrdup(o->name != NULL ? o->name : "localhost");
	c->o.address = dup_or_null(o->address);
	c->o.user = dup_or_null(o->user);
	c->o.identity_file = dup_or_null(o->identity_file);
	c->o.password = dup_or_null(o->password);
	c->o.ssh_config = dup_or_null(o->ssh_config);
	c->o.known_hosts = dup_or_null(o->known_hosts);
	c->o.proxy_jump = dup_or_null(o->proxy_jump);
	return c;
}

struct conn *
conn_new_at(const struct conn *c, const char *address)
{
	struct conn_opts o = c->o;

	o.address = address;
	return conn_new(&o);
}

const char *
conn_address(const struct conn *c)
{
	return c->o.address != NULL ? c->o.address : c->o.name;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->sh != NULL) {
		ssh_channel_free(c->sh);
		c->sh = NULL;
	}
	if (c->s != NULL) {
		if (c->open)
			ssh_disconnect(c->s);
		ssh_free(c->s);
		c->s = NULL;
	}
	c->open = false;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	conn_close(c);
	free((char *)c->o.name);
	free((char *)c->o.address);
	free((char *)c->o.user);
	free((char *)c->o.identity_file);
	free((char *)c->o.password);
	free((char *)c->o.ssh_config);
	free((char *)c->o.known_hosts);
	free((char *)c->o.proxy_jump);
	free(c->known_hosts);
	free(c);
}

bool
conn_dead(const struct conn *c)
{
	return c->dead;
}

const char *
conn_name(const struct conn *c)
{
	return c->o.name;
}

void
conn_result_init(struct conn_result *r)
{
	memset(r, 0, sizeof(*r));
	sb_init(&r->out);
	sb_init(&r->err);
}

void
conn_result_release(struct conn_result *r)
{
	sb_release(&r->out);
	sb_release(&r->err);
}

static double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
address_of(const struct conn *c)
{
	return c->o.address != NULL ? c->o.address : c->o.name;
}

/* Mark the host unreachable: "WHAT 'name' (address): detail". */
static int
fail_dead(struct conn *c, struct err *err, const char *what,
    const char *detail)
{
	c->dead = true;
	err_set(err, NULL, "%s '%s' (%s): %s", what, c->o.name, address_of(c),
	    detail);
	conn_close(c);
	return -1;
}

/* TCP keepalives: a host that vanishes is noticed within about 30 s. */
static void
set_keepalive(ssh_session s)
{
	int fd = ssh_get_fd(s), on = 1, idle = 15, intvl = 5, cnt = 3;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static int
authenticate(struct conn *c, struct err *err)
{
	int rc = SSH_AUTH_DENIED;

	if (c->o.identity_file != NULL) {
		ssh_key key = NULL;

		if (ssh_pki_import_privkey_file(c->o.identity_file, NULL, NULL,
		    NULL, &key) != SSH_OK) {
			c->dead = true;
			err_set(err, NULL, "cannot read the private key '%s' "
			    "for '%s'", c->o.identity_file, c->o.name);
			conn_close(c);
			return -1;
		}
		rc = ssh_userauth_publickey(c->s, NULL, key);
		ssh_key_free(key);
	}
	if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR)
		rc = ssh_userauth_publickey_auto(c->s, NULL, NULL);
	if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR &&
	    c->o.password != NULL)
		rc = ssh_userauth_password(c->s, NULL, c->o.password);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	return fail_dead(c, err, "failed to authenticate to",
	    rc == SSH_AUTH_ERROR ? ssh_get_error(c->s) :
	    "permission denied (publickey)");
}

int
conn_open(struct conn *c, struct err *err)
{
	long timeout;
	int port, one = 1;

	if (c->o.local || c->open)
		return 0;
	if (c->dead)
		return err_set(err, NULL, "'%s' is unreachable", c->o.name);
	c->s = ssh_new();
	if (c->s == NULL)
		return fail_dead(c, err, "cannot create a session for",
		    "out of memory");
	ssh_options_set(c->s, SSH_OPTIONS_HOST, address_of(c));
	if (c->o.port > 0) {
		port = c->o.port;
		ssh_options_set(c->s, SSH_OPTIONS_PORT, &port);
	}
	if (c->o.user != NULL)
		ssh_options_set(c->s, SSH_OPTIONS_USER, c->o.user);
	timeout = c->o.connect_timeout > 0 ? c->o.connect_timeout :
	    CONN_DEFAULT_CONNECT;
	ssh_options_set(c->s, SSH_OPTIONS_TIMEOUT, &timeout);
	/* Small handshake packets must not wait for delayed ACKs. */
	ssh_options_set(c->s, SSH_OPTIONS_NODELAY, &one);
	/* What the benchmarks assume: curve25519 first, fast ciphers. */
	ssh_options_set(c->s, SSH_OPTIONS_KEY_EXCHANGE,
	    "curve25519-sha256,curve25519-sha256@libssh.org,"
	    "ecdh-sha2-nistp256,diffie-hellman-group16-sha512,"
	    "diffie-hellman-group14-sha256");
	ssh_options_set(c->s, SSH_OPTIONS_CIPHERS_C_S,
	    "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,"
	    "aes128-ctr,aes256-gcm@openssh.com,aes256-ctr");
	ssh_options_set(c->s, SSH_OPTIONS_CIPHERS_S_C,
	    "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,"
	    "aes128-ctr,aes256-gcm@openssh.com,aes256-ctr");
	if (c->o.known_hosts != NULL)
		ssh_options_set(c->s, SSH_OPTIONS_KNOWNHOSTS, c->o.known_hosts);
	if (c->o.proxy_jump != NULL) {
		/* libssh 0.10 has no native jump: OpenSSH's -W does it. */
		struct strbuf pc = STRBUF_INIT;

		sb_adds(&pc, "ssh -W [%h]:%p ");
		if (c->o.known_hosts != NULL) {
			sb_adds(&pc, "-o UserKnownHostsFile=");
			sh_quote(&pc, c->o.known_hosts);
			sb_addch(&pc, ' ');
		}
		if (c->o.identity_file != NULL) {
			sb_adds(&pc, "-i ");
			sh_quote(&pc, c->o.identity_file);
			sb_addch(&pc, ' ');
		}
		sb_adds(&pc, "-o BatchMode=yes -J none ");
		sh_quote(&pc, c->o.proxy_jump);
		ssh_options_set(c->s, SSH_OPTIONS_PROXYCOMMAND, pc.buf);
		sb_release(&pc);
	}
	/* Options set above win over ssh_config, as -o does for ssh. */
	if (ssh_options_parse_config(c->s, c->o.ssh_config) != SSH_OK &&
	    c->o.ssh_config != NULL)
		return fail_dead(c, err, "cannot read the ssh config for",
		    c->o.ssh_config);
	if (ssh_connect(c->s) != SSH_OK)
		return fail_dead(c, err, "failed to connect to",
		    ssh_get_error(c->s));
	set_keepalive(c->s);
	if (c->o.hostkey != HOSTKEY_OFF &&
	    kh_verify(c->s, c->o.name, c->o.hostkey == HOSTKEY_ACCEPT_NEW,
	    err) < 0) {
		c->dead = true;
		conn_close(c);
		return -1;
	}
	c->open = true;
	if (authenticate(c, err) < 0)
		return -1;
	return 0;
}

/* The command line as run on the target: sh -c, wrapped for become. */
static void
wrap_command(struct strbuf *out, const char *cmd, const struct become *b)
{
	struct strbuf inner = STRBUF_INIT;
	const char *method;

	if (b == NULL || !b->enabled) {
		sb_adds(out, "/bin/sh -c ");
		sh_quote(out, cmd);
		return;
	}
	method = b->method != NULL ? b->method : "sudo";
	sb_adds(&inner, "/bin/sh -c ");
	sh_quote(&inner, cmd);
	if (strcmp(method, "su") == 0) {
		sb_adds(out, "su ");
		if (b->flags != NULL)
			sb_addf(out, "%s ", b->flags);
		sh_quote(out, b->user != NULL ? b->user : "root");
		sb_adds(out, " -c ");
		sh_quote(out, inner.buf);
	} else {
		sb_adds(out, "sudo -H -S ");
		if (b->password == NULL)
			sb_adds(out, "-n ");
		else
			sb_adds(out, "-p '[muster sudo password]' ");
		if (b->flags != NULL)
			sb_addf(out, "%s ", b->flags);
		sb_adds(out, "-u ");
		sh_quote(out, b->user != NULL ? b->user : "root");
		sb_addch(out, ' ');
		sb_add(out, inner.buf, inner.len);
	}
	sb_release(&inner);
}

static void
add_capped(struct strbuf *sb, const char *p, size_t n)
{
	if (sb->len >= CONN_OUTPUT_CAP)
		return;
	if (n > CONN_OUTPUT_CAP - sb->len)
		n = CONN_OUTPUT_CAP - sb->len;
	sb_add(sb, p, n);
}

/*
 * The command's stdin: the become password's line (or nothing), then the
 * caller's data, written as they are (a 1 MiB copy is not copied again).
 */
struct input {
	const char	*pre;
	size_t		 prelen;
	const char	*data;
	size_t		 len;
};

static int
exec_ssh(struct conn *c, const char *line, const struct input *in,
    struct conn_result *res, struct err *err)
{
	ssh_channel ch;
	char buf[16384];
	double deadline = 0;
	int n, stream;

	if (conn_open(c, err) < 0)
		return -1;
	ch = ssh_channel_new(c->s);
	if (ch == NULL || ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, line) != SSH_OK) {
		if (ch != NULL)
			ssh_channel_free(ch);
		return fail_dead(c, err, "lost the connection to",
		    ssh_get_error(c->s));
	}
	for (int part = 0; part < 2; part++) {
		const char *p = part == 0 ? in->pre : in->data;
		size_t len = part == 0 ? in->prelen : in->len, off = 0;

		while (off < len) {
			n = ssh_channel_write(ch, p + off,
			    (uint32_t)(len - off > sizeof(buf) ? sizeof(buf) :
			    len - off));
			if (n == SSH_ERROR) {
				ssh_channel_free(ch);
				return fail_dead(c, err,
				    "lost the connection to",
				    ssh_get_error(c->s));
			}
			off += (size_t)n;
		}
	}
	ssh_channel_send_eof(ch);
	if (c->o.command_timeout > 0)
		deadline = now_mono() + c->o.command_timeout;
	for (;;) {
		bool got = false;

		for (stream = 0; stream <= 1; stream++) {
			n = ssh_channel_read_timeout(ch, buf, sizeof(buf),
			    stream, stream == 0 ? 200 : 0);
			if (n == SSH_ERROR) {
				ssh_channel_free(ch);
				return fail_dead(c, err,
				    "lost the connection to",
				    ssh_get_error(c->s));
			}
			if (n > 0) {
				add_capped(stream ? &res->err : &res->out, buf,
				    (size_t)n);
				got = true;
			}
		}
		if (!got && ssh_channel_is_eof(ch))
			break;
		if (deadline > 0 && now_mono() > deadline) {
			ssh_channel_free(ch);
			c->dead = true;
			conn_close(c);
			return err_set(err, NULL, "command timed out after %d s "
			    "on '%s'", c->o.command_timeout, c->o.name);
		}
	}
	res->rc = ssh_channel_get_exit_status(ch);
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	return 0;
}

/*
 * The resident shell.  A channel a command costs the host an sshd fork and
 * the login shell's start (about 5 ms of the host's CPU, more than the
 * command itself), so commands without stdin go to one /bin/sh per host
 * that lives as long as the session: it runs each command line exactly as
 * sshd would have (the same "/bin/sh -c ..." or sudo line, stdin from
 * /dev/null, as a channel whose stdin is closed at once gives), then
 * prints a marker with the exit status on stdout and one on stderr.  The
 * marker holds a random token, so no command's output can fake it.
 * Commands with stdin (file uploads, a sudo password) keep their own
 * channel.  MUSTER_SSH_SHELL=0 turns the resident shell off.
 */
static bool
shell_wanted(void)
{
	static int wanted = -1;

	if (wanted < 0) {
		const char *e = getenv("MUSTER_SSH_SHELL");

		wanted = e == NULL || strcmp(e, "0") != 0;
	}
	return wanted;
}

static int
shell_start(struct conn *c)
{
	unsigned char rnd[16];
	FILE *f;

	f = fopen("/dev/urandom", "re");
	if (f == NULL || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd)) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(c->token + 2 * i, 3, "%02x", rnd[i]);
	c->sh = ssh_channel_new(c->s);
	if (c->sh == NULL)
		return -1;
	if (ssh_channel_open_session(c->sh) != SSH_OK ||
	    ssh_channel_request_exec(c->sh, "exec /bin/sh") != SSH_OK) {
		ssh_channel_free(c->sh);
		c->sh = NULL;
		return -1;
	}
	return 0;
}

/* Where "\n<token>" starts in sb (searching from *from), or -1. */
static long
find_marker(const struct strbuf *sb, const char *token, size_t *from)
{
	char pat[40];
	size_t plen;
	const char *p;

	pat[0] = '\n';
	memcpy(pat + 1, token, 32);
	plen = 33;
	if (sb->len < plen)
		return -1;
	p = memmem(sb->buf + *from, sb->len - *from, pat, plen);
	if (p == NULL) {
		*from = sb->len - plen + 1;
		return -1;
	}
	return p - sb->buf;
}

/*
 * Runs line in the resident shell: 0 with res filled, 1 when there is no
 * shell to use (the caller opens a channel instead), -1 with err.
 */
/* The most stdin that goes through the resident shell (dash keeps it). */
#define SHELL_STDIN_MAX	(64u << 20)

/* Writes all of p to the channel; SSH_ERROR or 0. */
static int
write_all(ssh_channel ch, const char *p, size_t len)
{
	for (size_t off = 0; off < len;) {
		int n = ssh_channel_write(ch, p + off, (uint32_t)(len - off));

		if (n == SSH_ERROR)
			return SSH_ERROR;
		off += (size_t)n;
	}
	return 0;
}

/* data as base64 lines of 16 KiB, written as they are made. */
static int
write_base64(ssh_channel ch, const char *data, size_t len)
{
	unsigned char line[16384 + 4];

	for (size_t off = 0; off < len; off += 12288) {
		size_t n = len - off < 12288 ? len - off : 12288;
		int m = EVP_EncodeBlock(line, (const unsigned char *)data + off,
		    (int)n);

		line[m++] = '\n';
		if (write_all(ch, (const char *)line, (size_t)m) == SSH_ERROR)
			return SSH_ERROR;
	}
	return 0;
}

static int exec_shell(struct conn *, const char *, const struct input *,
    struct conn_result *, struct err *);

/* Whether the host has base64 (asked once, in the resident shell). */
static bool
shell_has_base64(struct conn *c, struct err *err)
{
	struct conn_result r;
	struct input none = { 0 };

	if (c->b64 == 0) {
		conn_result_init(&r);
		if (exec_shell(c, "command -v base64 >/dev/null 2>&1 && echo y",
		    &none, &r, err) == 0)
			c->b64 = r.rc == 0 && strncmp(r.out.buf, "y", 1) == 0 ?
			    1 : -1;
		conn_result_release(&r);
	}
	return c->b64 > 0;
}

static int
exec_shell(struct conn *c, const char *line, const struct input *in,
    struct conn_result *res, struct err *err)
{
	struct strbuf script = STRBUF_INIT, out = STRBUF_INIT,
	    errb = STRBUF_INIT;
	size_t ofrom = 0, efrom = 0;
	long opos = -1, epos = -1;
	double deadline = 0;
	char buf[16384];
	int n, rc = 0;

	if (c->no_sh)
		return 1;
	if (conn_open(c, err) < 0)
		return -1;
	if (c->sh == NULL && shell_start(c) < 0) {
		c->no_sh = true;
		return 1;
	}
	if (in->prelen + in->len == 0)
		sb_addf(&script, "{\n%s\n} </dev/null\n", line);
	else
		/*
		 * stdin: base64 in a here-document, decoded into the command;
		 * the delimiter holds "_", which base64 never writes.
		 */
		sb_addf(&script, "base64 -d <<'MUSTER_%s' | %s\n", c->token,
		    line);
	if (write_all(c->sh, script.buf, script.len) == SSH_ERROR ||
	    (in->prelen + in->len > 0 &&
	    (write_base64(c->sh, in->pre, in->prelen) == SSH_ERROR ||
	    write_base64(c->sh, in->data, in->len) == SSH_ERROR))) {
		sb_release(&script);
		return fail_dead(c, err, "lost the connection to",
		    ssh_get_error(c->s));
	}
	sb_reset(&script);
	if (in->prelen + in->len > 0)
		sb_addf(&script, "MUSTER_%s\n", c->token);
	sb_addf(&script, "printf '\\n%s %%d\\n' $?; printf '\\n%s\\n' >&2\n",
	    c->token, c->token);
	if (write_all(c->sh, script.buf, script.len) == SSH_ERROR) {
		sb_release(&script);
		return fail_dead(c, err, "lost the connection to",
		    ssh_get_error(c->s));
	}
	sb_release(&script);
	if (c->o.command_timeout > 0)
		deadline = now_mono() + c->o.command_timeout;
	while (opos < 0 || epos < 0) {
		int stream = opos < 0 ? 0 : 1;
		bool got = false;

		for (; stream <= 1; stream++) {
			struct strbuf *sb = stream ? &errb : &out;

			if ((stream ? epos : opos) >= 0)
				continue;
			n = ssh_channel_read_timeout(c->sh, buf, sizeof(buf),
			    stream, got || (stream == 1 && opos < 0) ? 0 :
			    200);
			if (n == SSH_ERROR) {
				rc = fail_dead(c, err, "lost the connection to",
				    ssh_get_error(c->s));
				goto out;
			}
			if (n > 0) {
				sb_add(sb, buf, (size_t)n);
				got = true;
				if (stream)
					epos = find_marker(sb, c->token,
					    &efrom);
				else
					opos = find_marker(sb, c->token,
					    &ofrom);
			}
		}
		if (!got && ssh_channel_is_eof(c->sh)) {
			/* The shell itself died: the command's fate is unknown. */
			ssh_channel_free(c->sh);
			c->sh = NULL;
			sb_reset(&res->out);
			sb_reset(&res->err);
			add_capped(&res->out, out.buf, out.len);
			add_capped(&res->err, errb.buf, errb.len);
			if (res->err.len > 0)
				sb_addch(&res->err, '\n');
			sb_adds(&res->err, "muster: the remote shell ended "
			    "during the command");
			res->rc = -1;
			goto out;
		}
		if (deadline > 0 && now_mono() > deadline) {
			c->dead = true;
			conn_close(c);
			rc = err_set(err, NULL, "command timed out after %d s "
			    "on '%s'", c->o.command_timeout, c->o.name);
			goto out;
		}
	}
	/* Wait for the marker's whole line: "\n<token> <rc>\n". */
	while (memchr(out.buf + opos + 1, '\n', out.len - (size_t)opos - 1) ==
	    NULL) {
		n = ssh_channel_read_timeout(c->sh, buf, sizeof(buf), 0, 200);
		if (n == SSH_ERROR || (n == 0 && ssh_channel_is_eof(c->sh))) {
			rc = fail_dead(c, err, "lost the connection to",
			    n == SSH_ERROR ? ssh_get_error(c->s) :
			    "the remote shell ended");
			goto out;
		}
		sb_add(&out, buf, (size_t)n);
	}
	res->rc = atoi(out.buf + opos + 34);
	add_capped(&res->out, out.buf, (size_t)opos);
	add_capped(&res->err, errb.buf, (size_t)epos);
out:
	sb_release(&out);
	sb_release(&errb);
	return rc;
}

static int
exec_local(struct conn *c, const char *line, const struct strbuf *in,
    struct conn_result *res, struct err *err)
{
	int pin[2], pout[2], perr[2], status;
	double deadline = 0;
	size_t off = 0;
	pid_t pid;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0)
		return err_set(err, NULL, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return err_set(err, NULL, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	if (in->len == 0) {
		close(pin[1]);
		pin[1] = -1;
	}
	if (c->o.command_timeout > 0)
		deadline = now_mono() + c->o.command_timeout;
	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pf[3] = {
			{ .fd = pout[0], .events = POLLIN },
			{ .fd = perr[0], .events = POLLIN },
			{ .fd = pin[1], .events = POLLOUT },
		};
		char buf[16384];
		ssize_t n;
		int i;

		if (poll(pf, 3, 200) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			int *fd = i == 0 ? &pout[0] : &perr[0];

			if (*fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(*fd, buf, sizeof(buf));
			if (n > 0)
				add_capped(i == 0 ? &res->out : &res->err, buf,
				    (size_t)n);
			else if (n == 0 || errno != EINTR) {
				close(*fd);
				*fd = -1;
			}
		}
		if (pin[1] >= 0 && (pf[2].revents & (POLLOUT | POLLERR))) {
			n = write(pin[1], in->buf + off, in->len - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 || off >= in->len) {
				close(pin[1]);
				pin[1] = -1;
			}
		}
		if (deadline > 0 && now_mono() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			if (pin[1] >= 0)
				close(pin[1]);
			if (pout[0] >= 0)
				close(pout[0]);
			if (perr[0] >= 0)
				close(perr[0]);
			return err_set(err, NULL, "command timed out after %d s "
			    "on '%s'", c->o.command_timeout, c->o.name);
		}
	}
	if (pin[1] >= 0)
		close(pin[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return 0;
}

int
conn_exec(struct conn *c, const char *cmd, const struct become *b,
    const void *stdin_data, size_t stdin_len, struct conn_result *res,
    struct err *err)
{
	struct strbuf line = STRBUF_INIT, pw = STRBUF_INIT;
	struct input in = { .data = stdin_data, .len = stdin_len };
	int rc;

	if (c->dead)
		return err_set(err, NULL, "'%s' is unreachable", c->o.name);
	wrap_command(&line, cmd, b);
	if (b != NULL && b->enabled && b->password != NULL &&
	    (b->method == NULL || strcmp(b->method, "sudo") == 0)) {
		sb_adds(&pw, b->password);
		sb_addch(&pw, '\n');
	}
	in.pre = pw.buf;
	in.prelen = pw.len;
	if (stdin_data == NULL)
		in.len = 0;
	sb_reset(&res->out);
	sb_reset(&res->err);
	res->start = now_wall();
	if (c->o.local) {
		if (in.len > 0)
			sb_add(&pw, in.data, in.len);
		rc = exec_local(c, line.buf, &pw, res, err);
	} else if (!shell_wanted() || c->no_sh ||
	    ((in.len > 0 || in.prelen > 0) &&
	    (in.len + in.prelen > SHELL_STDIN_MAX ||
	    !shell_has_base64(c, err))) ||
	    (rc = exec_shell(c, line.buf, &in, res, err)) == 1)
		rc = c->dead ? -1 : exec_ssh(c, line.buf, &in, res, err);
	res->end = now_wall();
	sb_release(&line);
	sb_release(&pw);
	return rc;
}

int
conn_put(struct conn *c, const char *path, const void *data, size_t len,
    int mode, const struct become *b, struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	int rc;

	/*
	 * A temporary file beside the target, then mv: readers see the old
	 * or the new file, never half of one.  An existing file keeps its
	 * owner, group and (unless mode is given) mode.
	 */
	sb_adds(&cmd, "umask 077; d=");
	sh_quote(&cmd, path);
	sb_adds(&cmd, "; t=$(mktemp \"$(dirname \"$d\")/.muster.XXXXXXXX\") "
	    "|| exit 1; if cat > \"$t\"; then ");
	sb_adds(&cmd, "if [ -e \"$d\" ]; then chown --reference=\"$d\" \"$t\" "
	    "2>/dev/null; chmod --reference=\"$d\" \"$t\"; else chmod 644 "
	    "\"$t\"; fi; ");
	if (mode >= 0)
		sb_addf(&cmd, "chmod %04o \"$t\"; ", (unsigned)mode & 07777);
	sb_adds(&cmd, "mv -f \"$t\" \"$d\" && exit 0; fi; rm -f \"$t\"; "
	    "exit 1");
	conn_result_init(&r);
	rc = conn_exec(c, cmd.buf, b, data != NULL ? data : "", len, &r, err);
	if (rc == 0 && r.rc != 0) {
		sb_rtrim(&r.err);
		rc = err_set(err, NULL, "cannot write '%s' on '%s': %s", path,
		    c->o.name, r.err.len ? r.err.buf : "failed");
	}
	conn_result_release(&r);
	sb_release(&cmd);
	return rc;
}

int
conn_get(struct conn *c, const char *path, struct strbuf *out, size_t max,
    const struct become *b, struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	int rc;

	sb_adds(&cmd, "cat -- ");
	sh_quote(&cmd, path);
	conn_result_init(&r);
	rc = conn_exec(c, cmd.buf, b, NULL, 0, &r, err);
	if (rc == 0 && r.rc != 0) {
		sb_rtrim(&r.err);
		rc = err_set(err, NULL, "cannot read '%s' on '%s': %s", path,
		    c->o.name, r.err.buf);
	} else if (rc == 0 && max > 0 && r.out.len > max)
		rc = err_set(err, NULL, "'%s' on '%s' is larger than %zu "
		    "bytes", path, c->o.name, max);
	if (rc == 0) {
		sb_reset(out);
		sb_add(out, r.out.buf, r.out.len);
	}
	conn_result_release(&r);
	sb_release(&cmd);
	return rc;
}

int
conn_stat(struct conn *c, const char *path, struct conn_stat *st,
    const struct become *b, struct err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct conn_result r;
	unsigned long rawmode = 0;
	unsigned long uid = 0, gid = 0;
	long long size = 0;
	double mtime = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	sb_adds(&cmd, "p=");
	sh_quote(&cmd, path);
	sb_adds(&cmd, "; if [ -e \"$p\" ] || [ -L \"$p\" ]; then "
	    "exec stat -c '%f %u %g %s %.9Y' -- \"$p\"; else echo missing; fi");
	conn_result_init(&r);
	rc = conn_exec(c, cmd.buf, b, NULL, 0, &r, err);
	if (rc == 0 && r.rc != 0)
		rc = err_set(err, NULL, "cannot stat '%s' on '%s': %s", path,
		    c->o.name, r.err.buf);
	if (rc == 0 && strncmp(r.out.buf, "missing", 7) != 0) {
		if (sscanf(r.out.buf, "%lx %lu %lu %lld %lf", &rawmode, &uid,
		    &gid, &size, &mtime) < 4)
			rc = err_set(err, NULL, "cannot stat '%s' on '%s': "
			    "unexpected '%s'", path, c->o.name, r.out.buf);
		st->exists = true;
		st->mode = (mode_t)(rawmode & 07777);
		st->isdir = (rawmode & 0170000) == 0040000;
		st->isreg = (rawmode & 0170000) == 0100000;
		st->islnk = (rawmode & 0170000) == 0120000;
		st->uid = (uid_t)uid;
		st->gid = (gid_t)gid;
		st->size = (off_t)size;
		st->mtime = mtime;
	}
	conn_result_release(&r);
	sb_release(&cmd);
	return rc;
}
