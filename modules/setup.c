/*
 * setup: gather the facts bootstrap playbooks use in one remote command
 * (a sh script; no Python on the target): hostname, fqdn, distribution*,
 * os_family, kernel, architecture, processor_vcpus, memtotal_mb,
 * swaptotal_mb, default_ipv4, all_ipv4_addresses, interfaces, service_mgr,
 * pkg_mgr, lsb, env, user_*, date_time, machine_id.  Names and shapes are
 * Ansible's; the executor also sets them as ansible_* variables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fnmatch.h>

#include "module.h"

static const struct arg_spec setup_args[] = {
	{ .name = "gather_subset", .type = ARG_LIST, .dflt = "all" },
	{ .name = "filter", .type = ARG_LIST },
	{ .name = "gather_timeout", .type = ARG_INT, .dflt = "10" },
	{ .name = "fact_path", .type = ARG_STR },
	{ .name = NULL },
};

/* Each line "key=value"; sections marked by "@name" lines. */
static const char script[] =
    "echo \"hostname=$(uname -n)\"\n"
    "echo \"fqdn=$(hostname -f 2>/dev/null || uname -n)\"\n"
    "[ -r /etc/os-release ] && sed -n 's/^\\([A-Z_]*\\)=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}$/os_\\1=\\2/p' /etc/os-release\n"
    "[ -r /etc/debian_version ] && echo \"debian_version=$(cat /etc/debian_version)\"\n"
    "[ -r /etc/lsb-release ] && sed -n 's/^\\([A-Z_]*\\)=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}$/lsb_\\1=\\2/p' /etc/lsb-release\n"
    "echo \"kernel=$(uname -r)\"\n"
    "echo \"kernel_version=$(uname -v)\"\n"
    "echo \"arch=$(uname -m)\"\n"
    "echo \"vcpus=$(grep -c '^processor' /proc/cpuinfo 2>/dev/null)\"\n"
    "echo \"cores=$(grep -m1 '^cpu cores' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')\"\n"
    "sed -n 's/^\\(MemTotal\\|MemFree\\|SwapTotal\\|SwapFree\\): *\\([0-9]*\\).*/mem_\\1=\\2/p' /proc/meminfo 2>/dev/null\n"
    "command -v ip >/dev/null && { ip -4 route show default 2>/dev/null | sed -n '1s/^/route=/p'; ip -4 -o addr show 2>/dev/null | sed 's/^/addr=/'; ip -o link show 2>/dev/null | sed 's/^/link=/'; }\n"
    "[ -d /run/systemd/system ] && echo service_mgr=systemd\n"
    "for p in apt-get dnf yum zypper apk pacman; do command -v $p >/dev/null && { echo \"pkg=$p\"; break; }; done\n"
    "echo \"uid=$(id -u)\"; echo \"gid=$(id -g)\"; echo \"user=$(id -un)\"\n"
    "echo \"home=$HOME\"; echo \"shell=$(getent passwd \"$(id -un)\" 2>/dev/null | cut -d: -f7)\"\n"
    "[ -r /etc/machine-id ] && echo \"machine_id=$(cat /etc/machine-id)\"\n"
    "date '+date=%Y-%m-%d %H:%M:%S %s %Z %z %a %A %b %B %j %w'\n"
    "env | sed 's/^/env_/'\n";

struct kv {
	struct value	*d;		/* key -> last value */
	struct value	*addrs;		/* "addr=" lines */
	struct value	*links;		/* "link=" lines */
	struct value	*env;
};

static void
parse_lines(struct task_ctx *ctx, const char *out, struct kv *kv)
{
	const char *p = out;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *eq = memchr(p, '=', len);

		if (eq != NULL) {
			size_t kl = (size_t)(eq - p);
			struct value *v = val_new_strn(ctx->a, eq + 1,
			    len - kl - 1);

			if (kl == 4 && memcmp(p, "addr", 4) == 0)
				val_list_push(ctx->a, kv->addrs, v);
			else if (kl == 4 && memcmp(p, "link", 4) == 0)
				val_list_push(ctx->a, kv->links, v);
			else if (kl > 4 && memcmp(p, "env_", 4) == 0)
				val_dict_setn(ctx->a, kv->env, p + 4, kl - 4, v);
			else
				val_dict_setn(ctx->a, kv->d, p, kl, v);
		}
		p += len;
		if (*p == '\n')
			p++;
	}
}

static const char *
get(struct kv *kv, const char *k, const char *dflt)
{
	struct value *v = val_dict_get(kv->d, k);

	return v != NULL && v->u.str.len > 0 ? v->u.str.s : dflt;
}

static struct value *
str(struct task_ctx *ctx, const char *s)
{
	return val_new_str(ctx->a, s);
}

static void
set_mb(struct task_ctx *ctx, struct value *f, const char *name,
    struct kv *kv, const char *key)
{
	const char *s = get(kv, key, NULL);

	if (s != NULL)
		val_dict_set(ctx->a, f, name, val_new_int(ctx->a,
		    strtoll(s, NULL, 10) / 1024));
}

/* The word after "key " in s, or NULL. */
static struct value *
word_after(struct task_ctx *ctx, const char *s, const char *key)
{
	const char *p = strstr(s, key);
	size_t n;

	if (p == NULL)
		return NULL;
	p += strlen(key);
	n = strcspn(p, " \t/");
	return val_new_strn(ctx->a, p, n);
}

static void
network(struct task_ctx *ctx, struct value *f, struct kv *kv)
{
	struct value *all = val_new_list(ctx->a), *ifs = val_new_list(ctx->a);
	const char *route = get(kv, "route", NULL);
	struct value *dev = route ? word_after(ctx, route, " dev ") : NULL;
	struct value *gw = route ? word_after(ctx, route, " via ") : NULL;
	struct value *def = val_new_dict(ctx->a);

	for (size_t i = 0; i < kv->links->u.list->n; i++) {
		/* "2: eth0: <...>" or "2: eth0@if5: <...>" */
		const char *s = kv->links->u.list->items[i]->u.str.s;
		const char *c = strchr(s, ':');

		if (c == NULL)
			continue;
		c += 2;
		val_list_push(ctx->a, ifs, val_new_strn(ctx->a, c,
		    strcspn(c, ":@")));
	}
	for (size_t i = 0; i < kv->addrs->u.list->n; i++) {
		/* "2: eth0    inet 10.0.0.5/24 brd ... scope global eth0" */
		const char *s = kv->addrs->u.list->items[i]->u.str.s;
		struct value *addr = word_after(ctx, s, "inet ");
		const char *c = strchr(s, ':');
		struct value *ifname;

		if (addr == NULL || c == NULL)
			continue;
		c += 2;
		ifname = val_new_strn(ctx->a, c, strcspn(c, " \t"));
		if (strncmp(addr->u.str.s, "127.", 4) != 0)
			val_list_push(ctx->a, all, addr);
		if (dev != NULL && val_equal(ifname, dev) &&
		    val_dict_get(def, "address") == NULL) {
			const char *slash = strchr(strstr(s, "inet ") + 5, '/');

			val_dict_set(ctx->a, def, "address", addr);
			val_dict_set(ctx->a, def, "interface", dev);
			val_dict_set(ctx->a, def, "alias", dev);
			if (slash != NULL)
				val_dict_set(ctx->a, def, "prefix", val_new_strn(
				    ctx->a, slash + 1, strcspn(slash + 1, " ")));
			if (gw != NULL)
				val_dict_set(ctx->a, def, "gateway", gw);
			val_dict_set(ctx->a, def, "type", str(ctx, "ether"));
		}
	}
	val_dict_set(ctx->a, f, "all_ipv4_addresses", all);
	val_dict_set(ctx->a, f, "interfaces", ifs);
	val_dict_set(ctx->a, f, "default_ipv4", def);
}

static void
date_time(struct task_ctx *ctx, struct value *f, struct kv *kv)
{
	const char *s = get(kv, "date", NULL);
	struct value *d = val_new_dict(ctx->a);
	char date[32], tm[32], epoch[32], tz[32], off[32], wd[16], wdl[16],
	    mon[16], monl[16], doy[8], wdn[4];

	if (s == NULL || sscanf(s, "%31s %31s %31s %31s %31s %15s %15s %15s "
	    "%15s %7s %3s", date, tm, epoch, tz, off, wd, wdl, mon, monl, doy,
	    wdn) != 11)
		return;
	val_dict_set(ctx->a, d, "date", str(ctx, date));
	val_dict_set(ctx->a, d, "year", val_new_strn(ctx->a, date, 4));
	val_dict_set(ctx->a, d, "month", val_new_strn(ctx->a, date + 5, 2));
	val_dict_set(ctx->a, d, "day", val_new_strn(ctx->a, date + 8, 2));
	val_dict_set(ctx->a, d, "time", str(ctx, tm));
	val_dict_set(ctx->a, d, "hour", val_new_strn(ctx->a, tm, 2));
	val_dict_set(ctx->a, d, "minute", val_new_strn(ctx->a, tm + 3, 2));
	val_dict_set(ctx->a, d, "second", val_new_strn(ctx->a, tm + 6, 2));
	val_dict_set(ctx->a, d, "epoch", str(ctx, epoch));
	val_dict_set(ctx->a, d, "tz", str(ctx, tz));
	val_dict_set(ctx->a, d, "tz_offset", str(ctx, off));
	val_dict_set(ctx->a, d, "weekday", str(ctx, wdl));
	val_dict_set(ctx->a, d, "weekday_number", str(ctx, wdn));
	val_dict_set(ctx->a, d, "monthname", str(ctx, monl));
	val_dict_set(ctx->a, d, "day_of_year", str(ctx, doy));
	val_dict_set(ctx->a, d, "iso8601", val_new_strf(ctx->a, "%sT%sZ",
	    date, tm));
	val_dict_set(ctx->a, f, "date_time", d);
}

static const char *const hardware_keys[] = { "processor_vcpus",
	"processor_cores", "memtotal_mb", "memfree_mb", "swaptotal_mb",
	"swapfree_mb", NULL };
static const char *const network_keys[] = { "interfaces", "default_ipv4",
	"all_ipv4_addresses", NULL };
static const char *const subsets[] = { "all", "min", "hardware", "network",
	"virtual", "ohai", "facter", NULL };

static bool
in_list(const char *s, const char *const *l)
{
	for (size_t i = 0; l[i] != NULL; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

/*
 * gather_subset as Ansible resolves it: names add, "!name" removes, a
 * list of removals alone leaves the minimal set, and "min" stays unless
 * "!min".  Every fact
 * muster gathers is min, hardware or network.
 */
static int
subset(struct task_ctx *ctx, const struct value *list, bool *hw, bool *net,
    bool *min, struct result *res)
{
	bool any_pos = false, all = false, no_all = false, no_hw = false,
	    no_net = false;

	*hw = *net = false;
	*min = true;
	for (size_t i = 0; list != NULL && i < list->u.list->n; i++) {
		struct strbuf sb = STRBUF_INIT;
		const char *n;
		bool neg;

		val_str(&sb, list->u.list->items[i]);
		n = sb.buf;
		neg = n[0] == '!';
		if (neg)
			n++;
		if (!in_list(n, subsets)) {
			res_fail(ctx, res, "Bad subset '%s' given to Ansible. "
			    "gather_subset options allowed: all, all_ipv4_addresses, "
			    "all_ipv6_addresses, hardware, network, virtual, ohai, "
			    "facter, min", n);
			sb_release(&sb);
			return -1;
		}
		if (!neg)
			any_pos = true;
		if (!strcmp(n, "all"))
			*(neg ? &no_all : &all) = true;
		else if (!strcmp(n, "min"))
			*min = !neg;
		else if (!strcmp(n, "hardware"))
			*(neg ? &no_hw : hw) = true;
		else if (!strcmp(n, "network"))
			*(neg ? &no_net : net) = true;
		sb_release(&sb);
	}
	/* only exclusions leave the minimal set (Ansible 2.14) */
	if (all && !no_all)
		*hw = *net = true;
	(void)any_pos;
	if (no_hw)
		*hw = false;
	if (no_net)
		*net = false;
	return 0;
}

/* Keep the facts the subset and the filter (fnmatch on ansible_x) allow. */
static struct value *
select_facts(struct task_ctx *ctx, struct value *f, bool hw, bool net,
    bool min, const struct value *filter)
{
	struct value *out = val_new_dict(ctx->a);
	const struct value *ifs = val_dict_get(f, "interfaces");

	for (size_t i = 0; i < f->u.dict->n; i++) {
		const char *k = f->u.dict->ent[i].key->u.str.s;
		bool is_net = in_list(k, network_keys);
		bool keep;

		for (size_t q = 0; !is_net && ifs != NULL &&
		    ifs->type == VAL_LIST && q < ifs->u.list->n; q++)
			is_net = val_is_str(ifs->u.list->items[q], k);
		if (!strcmp(k, "gather_subset") || !strcmp(k, "module_setup"))
			keep = true;	/* whatever the subset; the filter counts */
		else if (in_list(k, hardware_keys))
			keep = hw;
		else if (is_net)
			keep = net;
		else
			keep = min;
		for (size_t q = 0; keep && filter != NULL &&
		    filter->type == VAL_LIST && filter->u.list->n > 0; q++) {
			struct strbuf pat = STRBUF_INIT;
			char *name = arena_printf(ctx->a, "ansible_%s", k);
			bool m;

			if (q == filter->u.list->n) {
				keep = false;
				break;
			}
			val_str(&pat, filter->u.list->items[q]);
			m = fnmatch(pat.buf, name, 0) == 0 ||
			    fnmatch(pat.buf, k, 0) == 0;
			sb_release(&pat);
			if (m)
				break;
		}
		if (keep)
			val_dict_setv(ctx->a, out, f->u.dict->ent[i].key,
			    f->u.dict->ent[i].val);
	}
	return out;
}

static int
setup_run(struct task_ctx *ctx, const struct value *args, struct result *res,
    struct err *err)
{
	struct conn_result cr;
	struct kv kv;
	struct value *f;
	int rc;
	bool hw, net, min;
	const struct value *gs = val_dict_get(args, "gather_subset");

	if (subset(ctx, gs, &hw, &net, &min, res) < 0)
		return 0;
	conn_result_init(&cr);
	rc = conn_exec(ctx->conn, script, ctx->become, NULL, 0, &cr, err);
	if (rc < 0) {
		conn_result_release(&cr);
		return -1;
	}
	kv.d = val_new_dict(ctx->a);
	kv.addrs = val_new_list(ctx->a);
	kv.links = val_new_list(ctx->a);
	kv.env = val_new_dict(ctx->a);
	parse_lines(ctx, cr.out.buf, &kv);
	conn_result_release(&cr);

	f = val_new_dict(ctx->a);
	const char *host = get(&kv, "hostname", "localhost");
	const char *fqdn = get(&kv, "fqdn", host);
	const char *dot = strchr(fqdn, '.');
	val_dict_set(ctx->a, f, "hostname", val_new_strn(ctx->a, host,
	    strcspn(host, ".")));
	val_dict_set(ctx->a, f, "nodename", str(ctx, host));
	val_dict_set(ctx->a, f, "fqdn", str(ctx, fqdn));
	val_dict_set(ctx->a, f, "domain", str(ctx, dot ? dot + 1 : ""));
	/* distribution, the way Ansible's Distribution facts name it */
	const char *name = get(&kv, "os_NAME", "Linux");
	const char *id = get(&kv, "os_ID", "");
	const char *dist = !strcmp(id, "debian") ? "Debian" :
	    !strcmp(id, "ubuntu") ? "Ubuntu" : !strcmp(id, "centos") ? "CentOS" :
	    !strcmp(id, "rhel") ? "RedHat" : !strcmp(id, "fedora") ? "Fedora" :
	    !strcmp(id, "rocky") ? "Rocky" : !strcmp(id, "almalinux") ?
	    "AlmaLinux" : name;
	const char *family = !strcmp(id, "debian") || !strcmp(id, "ubuntu") ?
	    "Debian" : !strcmp(id, "centos") || !strcmp(id, "rhel") ||
	    !strcmp(id, "fedora") || !strcmp(id, "rocky") ||
	    !strcmp(id, "almalinux") ? "RedHat" : dist;
	const char *version = get(&kv, "os_VERSION_ID", "");
	if (!strcmp(id, "debian") && get(&kv, "debian_version", NULL) != NULL)
		version = get(&kv, "debian_version", version);
	val_dict_set(ctx->a, f, "distribution", str(ctx, dist));
	val_dict_set(ctx->a, f, "distribution_version", str(ctx, version));
	val_dict_set(ctx->a, f, "distribution_major_version",
	    val_new_strn(ctx->a, version, strcspn(version, ".")));
	val_dict_set(ctx->a, f, "distribution_release", str(ctx,
	    get(&kv, "os_VERSION_CODENAME", "NA")));
	val_dict_set(ctx->a, f, "os_family", str(ctx, family));
	val_dict_set(ctx->a, f, "system", str(ctx, "Linux"));
	val_dict_set(ctx->a, f, "kernel", str(ctx, get(&kv, "kernel", "")));
	val_dict_set(ctx->a, f, "kernel_version", str(ctx,
	    get(&kv, "kernel_version", "")));
	val_dict_set(ctx->a, f, "architecture", str(ctx, get(&kv, "arch", "")));
	val_dict_set(ctx->a, f, "machine", str(ctx, get(&kv, "arch", "")));
	val_dict_set(ctx->a, f, "processor_vcpus", val_new_int(ctx->a,
	    strtoll(get(&kv, "vcpus", "1"), NULL, 10)));
	val_dict_set(ctx->a, f, "processor_cores", val_new_int(ctx->a,
	    strtoll(get(&kv, "cores", "1"), NULL, 10)));
	set_mb(ctx, f, "memtotal_mb", &kv, "mem_MemTotal");
	set_mb(ctx, f, "memfree_mb", &kv, "mem_MemFree");
	set_mb(ctx, f, "swaptotal_mb", &kv, "mem_SwapTotal");
	set_mb(ctx, f, "swapfree_mb", &kv, "mem_SwapFree");
	network(ctx, f, &kv);
	val_dict_set(ctx->a, f, "service_mgr", str(ctx, get(&kv, "service_mgr",
	    "service")));
	const char *pkg = get(&kv, "pkg", "unknown");
	val_dict_set(ctx->a, f, "pkg_mgr", str(ctx, !strcmp(pkg, "apt-get") ?
	    "apt" : pkg));
	struct value *lsb = val_new_dict(ctx->a);
	if (get(&kv, "lsb_DISTRIB_ID", NULL) != NULL) {
		const char *rel = get(&kv, "lsb_DISTRIB_RELEASE", "");

		val_dict_set(ctx->a, lsb, "id", str(ctx, get(&kv,
		    "lsb_DISTRIB_ID", "")));
		val_dict_set(ctx->a, lsb, "release", str(ctx, rel));
		val_dict_set(ctx->a, lsb, "codename", str(ctx, get(&kv,
		    "lsb_DISTRIB_CODENAME", "")));
		val_dict_set(ctx->a, lsb, "description", str(ctx, get(&kv,
		    "lsb_DISTRIB_DESCRIPTION", "")));
		val_dict_set(ctx->a, lsb, "major_release", val_new_strn(ctx->a,
		    rel, strcspn(rel, ".")));
	}
	val_dict_set(ctx->a, f, "lsb", lsb);
	val_dict_set(ctx->a, f, "env", kv.env);
	val_dict_set(ctx->a, f, "user_id", str(ctx, get(&kv, "user", "")));
	val_dict_set(ctx->a, f, "user_uid", val_new_int(ctx->a,
	    strtoll(get(&kv, "uid", "0"), NULL, 10)));
	val_dict_set(ctx->a, f, "user_gid", val_new_int(ctx->a,
	    strtoll(get(&kv, "gid", "0"), NULL, 10)));
	val_dict_set(ctx->a, f, "user_dir", str(ctx, get(&kv, "home", "")));
	val_dict_set(ctx->a, f, "user_shell", str(ctx, get(&kv, "shell", "")));
	if (get(&kv, "machine_id", NULL) != NULL)
		val_dict_set(ctx->a, f, "machine_id", str(ctx, get(&kv,
		    "machine_id", "")));
	date_time(ctx, f, &kv);
	val_dict_set(ctx->a, f, "gather_subset", gs != NULL ? (struct value *)gs :
	    val_new_list(ctx->a));
	val_dict_set(ctx->a, f, "module_setup", &val_true);
	f = select_facts(ctx, f, hw, net, min, val_dict_get(args, "filter"));
	res_set(ctx, res, "ansible_facts", f);
	/* setup.py's "hack to keep --verbose from showing all the facts" */
	res_set(ctx, res, "_ansible_verbose_override", &val_true);
	return 0;
}

const struct module module_setup = {
	.name = "setup",
	.summary = "gather facts about the host in one round trip",
	.args = setup_args,
	.flags = MODULE_CHECK_MODE,
	.run = setup_run,
};
