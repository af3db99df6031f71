/*
 * lab-preload.c: the lab's /etc/ld.so.preload library (tests/lab/lab.sh
 * builds it and lists it in each host's /etc/ld.so.preload).
 *
 * Lab hosts share the machine's kernel: the modprobe stand-in cannot load
 * a module, and this kernel may have no /proc/modules at all.  procfs
 * accepts neither a file bind-mounted into it nor an overlay on it, so
 * read-only opens of "/proc/modules" are served from the host's simulated
 * module table, /run/muster-standins/proc-modules, which the lab creates
 * at the host's start (a copy of the kernel's, or empty) and the modprobe
 * stand-in keeps.  Every program on the host (Ansible's Python, a shell,
 * cat, awk) opens the same file; nothing else is touched.  Only the open
 * calls are wrapped (open, openat, fopen and their 64-bit and fortified
 * forms): stat() and access() still see the kernel's /proc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#define FROM	"/proc/modules"
#define TO	"/run/muster-standins/proc-modules"

static const char *
map_flags(const char *path, int flags)
{
	if (path != NULL && (flags & O_ACCMODE) == O_RDONLY &&
	    strcmp(path, FROM) == 0)
		return TO;
	return path;
}

static const char *
map_mode(const char *path, const char *mode)
{
	if (path != NULL && mode != NULL && mode[0] == 'r' &&
	    strchr(mode, '+') == NULL && strcmp(path, FROM) == 0)
		return TO;
	return path;
}

static mode_t
mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, int);
	return 0;
}

#define NEXT(name, type) \
	static type real; \
	if (real == NULL) \
		real = (type)dlsym(RTLD_NEXT, name)

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef FILE *(*fopen_fn)(const char *, const char *);

int open(const char *, int, ...);
int open64(const char *, int, ...);
int openat(int, const char *, int, ...);
int openat64(int, const char *, int, ...);
int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);
FILE *fopen(const char *, const char *);
FILE *fopen64(const char *, const char *);

#define OPEN(name) \
int \
name(const char *path, int flags, ...) \
{ \
	va_list ap; \
	mode_t m; \
	NEXT(#name, open_fn); \
	va_start(ap, flags); \
	m = mode_arg(flags, ap); \
	va_end(ap); \
	return real(map_flags(path, flags), flags, m); \
}
OPEN(open)
OPEN(open64)

#define OPENAT(name) \
int \
name(int dir, const char *path, int flags, ...) \
{ \
	va_list ap; \
	mode_t m; \
	NEXT(#name, openat_fn); \
	va_start(ap, flags); \
	m = mode_arg(flags, ap); \
	va_end(ap); \
	return real(dir, map_flags(path, flags), flags, m); \
}
OPENAT(openat)
OPENAT(openat64)

#define OPEN2(name) \
int \
name(const char *path, int flags) \
{ \
	NEXT(#name, open2_fn); \
	return real(map_flags(path, flags), flags); \
}
OPEN2(__open_2)
OPEN2(__open64_2)

#define OPENAT2(name) \
int \
name(int dir, const char *path, int flags) \
{ \
	NEXT(#name, openat2_fn); \
	return real(dir, map_flags(path, flags), flags); \
}
OPENAT2(__openat_2)
OPENAT2(__openat64_2)

#define FOPEN(name) \
FILE * \
name(const char *path, const char *mode) \
{ \
	NEXT(#name, fopen_fn); \
	return real(map_mode(path, mode), mode); \
}
FOPEN(fopen)
FOPEN(fopen64)
