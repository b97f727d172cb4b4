/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Allocation that exits on failure, growable strings, files, time.
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/*
 * Print "migrator: <message>" on stderr.
 */
void
cli_error(const char *fmt,...)
{
	va_list		ap;

	fputs("migrator: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * malloc and friends: a client out of memory has nothing better to do than
 * to stop.
 */
void *
xmalloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
	{
		cli_error("out of memory");
		exit(EXIT_ERROR);
	}
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
	{
		cli_error("out of memory");
		exit(EXIT_ERROR);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	   *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/*
 * sprintf into a new allocation.
 */
char *
xasprintf(const char *fmt,...)
{
	StrBuf		sb;
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	sb.data = xmalloc(n + 1);
	va_start(ap, fmt);
	vsnprintf(sb.data, n + 1, fmt, ap);
	va_end(ap);
	return sb.data;
}

/*
 * A growable string: start empty.
 */
void
sb_init(StrBuf *sb)
{
	sb->cap = 256;
	sb->len = 0;
	sb->data = xmalloc(sb->cap);
	sb->data[0] = '\0';
}

/*
 * Append "n" bytes.
 */
void
sb_append_n(StrBuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap)
	{
		while (sb->len + n + 1 > sb->cap)
			sb->cap *= 2;
		sb->data = xrealloc(sb->data, sb->cap);
	}
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

/*
 * Append a NUL-terminated string.
 */
void
sb_append(StrBuf *sb, const char *s)
{
	sb_append_n(sb, s, strlen(s));
}

/*
 * Append formatted text.
 */
void
sb_printf(StrBuf *sb, const char *fmt,...)
{
	va_list		ap;
	int			n;
	char	   *tmp;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	tmp = xmalloc(n + 1);
	va_start(ap, fmt);
	vsnprintf(tmp, n + 1, fmt, ap);
	va_end(ap);
	sb_append_n(sb, tmp, n);
	free(tmp);
}

/*
 * The whole content of a file, or NULL with *error set.  A file holding a
 * NUL byte is refused: it cannot be sent as SQL text.
 */
char *
read_file(const char *path, char **error)
{
	FILE	   *f = fopen(path, "rb");
	StrBuf		sb;
	char		buf[8192];
	size_t		n;

	if (f == NULL)
	{
		*error = xasprintf("could not open file \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append_n(&sb, buf, n);
	if (ferror(f))
	{
		*error = xasprintf("could not read file \"%s\": %s", path, strerror(errno));
		fclose(f);
		free(sb.data);
		return NULL;
	}
	fclose(f);
	if (strlen(sb.data) != sb.len)
	{
		*error = xasprintf("file \"%s\" contains a NUL byte", path);
		free(sb.data);
		return NULL;
	}
	return sb.data;
}

/*
 * Is "path" a regular file?
 */
bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Is "path" a directory?
 */
bool
is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * "dir/name", without doubling a slash.
 */
char *
path_join(const char *dir, const char *name)
{
	size_t		len = strlen(dir);

	if (len > 0 && dir[len - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

/*
 * Milliseconds on a monotonic clock, for progress lines.
 */
double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1000000.0;
}
