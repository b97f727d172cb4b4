/*-------------------------------------------------------------------------
 *
 * layouts.c
 *	  Migration directories written for other tools: which layout a
 *	  directory is in, and the helpers every reader uses (layouts.h).
 *
 * Ten tools' layouts are read (layouts_files.c, layouts_plans.c):
 * golang-migrate (and ory), dbmate, goose, Flyway, Sqitch, Liquibase
 * formatted SQL, Prisma, Drizzle, Atlas and Supabase.  Whatever the
 * layout, lines "-- migrator:plan <text>" in an up script become the
 * migration's plan (which register() requires of destructive migrations),
 * and a script wrapped in "BEGIN;" ... "COMMIT;" lines (as golang-migrate
 * and Sqitch scripts usually are) loses the wrapper, since migrator runs
 * each migration in its own transaction.  Everything else of a file is
 * registered as it is: the tools' own annotations (goose's StatementBegin,
 * Drizzle's statement breakpoints, Liquibase's changeset lines) are SQL
 * comments, and the server's parser splits statements.
 *
 *-------------------------------------------------------------------------
 */
#include "layouts.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const layout_names[] = {"golang-migrate", "dbmate", "goose", "flyway", "sqitch",
	"liquibase", "prisma", "drizzle", "atlas", "supabase", NULL};

/*
 * Is this a --format value the readers know?
 */
bool
layout_is_known(const char *format)
{
	int			i;

	for (i = 0; layout_names[i]; i++)
		if (strcmp(layout_names[i], format) == 0)
			return true;
	return strcmp(format, "ory") == 0;
}
/*
 * Does "s" end with "suffix"?
 */
bool
ends_with(const char *s, const char *suffix)
{
	size_t		ls = strlen(s);
	size_t		lf = strlen(suffix);

	return ls >= lf && strcmp(s + ls - lf, suffix) == 0;
}

/*
 * How many digits "s" starts with.
 */
size_t
leading_digits(const char *s)
{
	size_t		n = 0;

	while (isdigit((unsigned char) s[n]))
		n++;
	return n;
}

/*
 * qsort comparator of file names.
 */
static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The regular files (or, with "dirs", the subdirectories) of a directory,
 * sorted by name; NULL on error.
 */
char **
list_directory(const char *dir, int *count, bool dirs, char **error)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	char	  **names = NULL;
	int			n = 0;
	int			cap = 0;

	if (d == NULL)
	{
		*error = xasprintf("could not open directory \"%s\"", dir);
		return NULL;
	}
	while ((de = readdir(d)) != NULL)
	{
		char	   *path;

		if (de->d_name[0] == '.')
			continue;
		path = path_join(dir, de->d_name);
		if (dirs ? is_directory(path) : file_exists(path))
		{
			if (n == cap)
			{
				cap = cap ? cap * 2 : 64;
				names = xrealloc(names, sizeof(char *) * cap);
			}
			names[n++] = xstrdup(de->d_name);
		}
		free(path);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(char *), compare_names);
	*count = n;
	return names ? names : xmalloc(sizeof(char *));
}

/*
 * Append a migration with this version to the set; transactional unless
 * the layout says otherwise.
 */
MigrationFile *
set_add(MigrationSet *set, const char *version)
{
	MigrationFile *m;

	if (set->n == set->cap)
	{
		set->cap = set->cap ? set->cap * 2 : 64;
		set->items = xrealloc(set->items, sizeof(MigrationFile) * set->cap);
	}
	m = &set->items[set->n++];
	memset(m, 0, sizeof(MigrationFile));
	m->version = xstrdup(version);
	m->transactional = true;
	m->up_line = 1;
	m->down_line = 1;
	return m;
}

/*
 * The migration of this version in the set, or NULL.
 */
MigrationFile *
set_find(MigrationSet *set, const char *version)
{
	int			i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->items[i].version, version) == 0)
			return &set->items[i];
	return NULL;
}

/*
 * Is this line (without its newline) exactly one of the given statements,
 * ignoring case and surrounding blanks?
 */
static bool
line_is(const char *line, size_t len, const char *const *words)
{
	int			i;

	while (len > 0 && isspace((unsigned char) *line))
		line++, len--;
	while (len > 0 && isspace((unsigned char) line[len - 1]))
		len--;
	for (i = 0; words[i]; i++)
		if (strlen(words[i]) == len && strncasecmp(line, words[i], len) == 0)
			return true;
	return false;
}

static bool
line_is_blank_or_comment(const char *line, size_t len)
{
	while (len > 0 && isspace((unsigned char) *line))
		line++, len--;
	return len == 0 || (len >= 2 && line[0] == '-' && line[1] == '-');
}

/*
 * Remove a transaction wrapper: when the first line with SQL is "BEGIN;"
 * (or START TRANSACTION) and the last is "COMMIT;" (or END, or ROLLBACK,
 * as Sqitch's verify scripts end), both lines become comments.  Anything
 * else is left for register() to judge.
 */
void
strip_transaction_wrapper(char *sql)
{
	static const char *const begins[] = {"BEGIN;", "BEGIN TRANSACTION;", "BEGIN WORK;",
	"START TRANSACTION;", NULL};
	static const char *const ends[] = {"COMMIT;", "COMMIT TRANSACTION;", "COMMIT WORK;",
	"END;", "ROLLBACK;", NULL};
	char	   *first = NULL;
	char	   *last = NULL;
	size_t		first_len = 0;
	size_t		last_len = 0;
	char	   *p = sql;

	while (*p)
	{
		char	   *nl = strchr(p, '\n');
		size_t		len = nl ? (size_t) (nl - p) : strlen(p);

		if (!line_is_blank_or_comment(p, len))
		{
			if (first == NULL)
			{
				first = p;
				first_len = len;
			}
			last = p;
			last_len = len;
		}
		p += len + (nl ? 1 : 0);
	}
	if (first == NULL || first == last || !line_is(first, first_len, begins) ||
		!line_is(last, last_len, ends))
		return;
	/* "--" over the first two characters: a comment of the same length */
	memset(first, ' ', first_len);
	memcpy(first, "--", 2);
	memset(last, ' ', last_len);
	memcpy(last, "--", 2);
}

/*
 * The plan written in the script as "-- migrator:plan <text>" lines, or
 * NULL.
 */
char *
extract_plan(const char *sql)
{
	StrBuf		sb;
	const char *p = sql;

	sb_init(&sb);
	while (*p)
	{
		const char *nl = strchr(p, '\n');
		size_t		len = nl ? (size_t) (nl - p) : strlen(p);
		const char *q = p;

		while (q < p + len && isspace((unsigned char) *q))
			q++;
		if ((size_t) (p + len - q) >= 16 && strncmp(q, "-- migrator:plan", 16) == 0)
		{
			const char *t = q + 16;
			const char *e = p + len;

			while (t < e && isspace((unsigned char) *t))
				t++;
			while (e > t && isspace((unsigned char) e[-1]))
				e--;
			if (sb.len)
				sb_append(&sb, "\n");
			sb_append_n(&sb, t, e - t);
		}
		p += len + (nl ? 1 : 0);
	}
	if (sb.len == 0)
	{
		free(sb.data);
		return NULL;
	}
	return sb.data;
}

/*
 * Is "s" empty or only white space?
 */
bool
is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char) *s))
			return false;
	return true;
}

/* Reads a script file, strips its wrapper; NULL with *error on failure. */
char *
read_script(const char *path, char **error)
{
	char	   *sql = read_file(path, error);

	if (sql)
		strip_transaction_wrapper(sql);
	return sql;
}

/*
 * The first comment line "-- <marker>..." (marker compared without regard
 * to case: dbmate's "-- migrate:up", goose's "-- +goose Up").  Returns the
 * position of the line and, through *after, where the line ends; NULL
 * when absent.
 */
char *
find_marker(char *sql, const char *marker, char **after)
{
	char	   *p = sql;

	while (*p)
	{
		char	   *nl = strchr(p, '\n');
		size_t		len = nl ? (size_t) (nl - p) : strlen(p);
		char	   *q = p;

		if (len >= 2 && q[0] == '-' && q[1] == '-')
		{
			q += 2;
			while (q < p + len && (*q == ' ' || *q == '\t'))
				q++;
			if ((size_t) (p + len - q) >= strlen(marker) &&
				strncasecmp(q, marker, strlen(marker)) == 0)
			{
				*after = p + len + (nl ? 1 : 0);
				return p;
			}
		}
		p += len + (nl ? 1 : 0);
	}
	return NULL;
}

/*
 * A version number without its leading zeros ("00012" -> "12", "000" ->
 * "0"), as tools that store versions as integers record them.
 */
char *
strip_leading_zeros(const char *digits)
{
	while (digits[0] == '0' && isdigit((unsigned char) digits[1]))
		digits++;
	return xstrdup(digits);
}

/* ---- a small JSON reader, for Drizzle's meta/_journal.json */

typedef struct JsonParser
{
	const char *p;
	char	   *error;
} JsonParser;

static JsonValue *json_value(JsonParser *jp, int depth);

static void
json_skip_space(JsonParser *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')
		jp->p++;
}

static JsonValue *
json_new(JsonType type)
{
	JsonValue  *v = xmalloc(sizeof(JsonValue));

	memset(v, 0, sizeof(JsonValue));
	v->type = type;
	return v;
}

/*
 * Append one UTF-8 encoded code point.
 */
static void
json_append_utf8(StrBuf *sb, unsigned int c)
{
	char		b[4];
	size_t		n;

	if (c < 0x80)
		b[0] = (char) c, n = 1;
	else if (c < 0x800)
		b[0] = (char) (0xC0 | (c >> 6)), b[1] = (char) (0x80 | (c & 0x3F)), n = 2;
	else if (c < 0x10000)
		b[0] = (char) (0xE0 | (c >> 12)), b[1] = (char) (0x80 | ((c >> 6) & 0x3F)),
			b[2] = (char) (0x80 | (c & 0x3F)), n = 3;
	else
		b[0] = (char) (0xF0 | (c >> 18)), b[1] = (char) (0x80 | ((c >> 12) & 0x3F)),
			b[2] = (char) (0x80 | ((c >> 6) & 0x3F)), b[3] = (char) (0x80 | (c & 0x3F)), n = 4;
	sb_append_n(sb, b, n);
}

/*
 * The four hex digits of a \u escape as a number, or -1.
 */
static int
json_hex4(const char *p)
{
	int			v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		int			c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * A string literal at jp->p (which points at its opening quote).
 */
static char *
json_string(JsonParser *jp)
{
	StrBuf		sb;

	sb_init(&sb);
	jp->p++;
	while (*jp->p && *jp->p != '"')
	{
		if (*jp->p != '\\')
		{
			sb_append_n(&sb, jp->p++, 1);
			continue;
		}
		jp->p++;
		switch (*jp->p)
		{
			case '"':
			case '\\':
			case '/':
				sb_append_n(&sb, jp->p, 1);
				break;
			case 'b':
				sb_append(&sb, "\b");
				break;
			case 'f':
				sb_append(&sb, "\f");
				break;
			case 'n':
				sb_append(&sb, "\n");
				break;
			case 'r':
				sb_append(&sb, "\r");
				break;
			case 't':
				sb_append(&sb, "\t");
				break;
			case 'u':
				{
					int			c = json_hex4(jp->p + 1);

					if (c < 0)
					{
						jp->error = xstrdup("invalid \\u escape");
						free(sb.data);
						return NULL;
					}
					jp->p += 4;
					if (c >= 0xD800 && c < 0xDC00 && jp->p[1] == '\\' && jp->p[2] == 'u')
					{
						int			lo = json_hex4(jp->p + 3);

						if (lo >= 0xDC00 && lo < 0xE000)
						{
							c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
							jp->p += 6;
						}
					}
					json_append_utf8(&sb, (unsigned int) c);
				}
				break;
			default:
				jp->error = xstrdup("invalid escape in a string");
				free(sb.data);
				return NULL;
		}
		jp->p++;
	}
	if (*jp->p != '"')
	{
		jp->error = xstrdup("unterminated string");
		free(sb.data);
		return NULL;
	}
	jp->p++;
	return sb.data;
}

/*
 * Members of an array or object, after its opening bracket.
 */
static JsonValue *
json_container(JsonParser *jp, JsonType type, int depth)
{
	JsonValue  *v = json_new(type);
	char		close = type == JSON_ARRAY ? ']' : '}';

	jp->p++;
	json_skip_space(jp);
	if (*jp->p == close)
	{
		jp->p++;
		return v;
	}
	for (;;)
	{
		char	   *key = NULL;
		JsonValue  *item;

		json_skip_space(jp);
		if (type == JSON_OBJECT)
		{
			if (*jp->p != '"')
			{
				jp->error = xstrdup("expected a member name");
				return NULL;
			}
			if ((key = json_string(jp)) == NULL)
				return NULL;
			json_skip_space(jp);
			if (*jp->p++ != ':')
			{
				jp->error = xstrdup("expected \":\"");
				return NULL;
			}
		}
		if ((item = json_value(jp, depth + 1)) == NULL)
			return NULL;
		v->items = xrealloc(v->items, sizeof(JsonValue *) * (v->n + 1));
		v->keys = xrealloc(v->keys, sizeof(char *) * (v->n + 1));
		v->items[v->n] = item;
		v->keys[v->n] = key;
		v->n++;
		json_skip_space(jp);
		if (*jp->p == ',')
		{
			jp->p++;
			continue;
		}
		if (*jp->p == close)
		{
			jp->p++;
			return v;
		}
		jp->error = xasprintf("expected \",\" or \"%c\"", close);
		return NULL;
	}
}

/*
 * One value at jp->p; NULL with jp->error set when it is not JSON.
 */
static JsonValue *
json_value(JsonParser *jp, int depth)
{
	JsonValue  *v;

	if (depth > 64)
	{
		jp->error = xstrdup("nested too deeply");
		return NULL;
	}
	json_skip_space(jp);
	switch (*jp->p)
	{
		case '{':
			return json_container(jp, JSON_OBJECT, depth);
		case '[':
			return json_container(jp, JSON_ARRAY, depth);
		case '"':
			v = json_new(JSON_STRING);
			if ((v->str = json_string(jp)) == NULL)
				return NULL;
			return v;
		default:
			break;
	}
	if (strncmp(jp->p, "true", 4) == 0 || strncmp(jp->p, "false", 5) == 0)
	{
		v = json_new(JSON_BOOL);
		v->str = xstrdup(*jp->p == 't' ? "true" : "false");
		jp->p += *jp->p == 't' ? 4 : 5;
		return v;
	}
	if (strncmp(jp->p, "null", 4) == 0)
	{
		jp->p += 4;
		return json_new(JSON_NULL);
	}
	if (*jp->p == '-' || isdigit((unsigned char) *jp->p))
	{
		const char *start = jp->p;

		jp->p++;
		while (isdigit((unsigned char) *jp->p) || *jp->p == '.' || *jp->p == 'e' ||
			   *jp->p == 'E' || *jp->p == '+' || *jp->p == '-')
			jp->p++;
		v = json_new(JSON_NUMBER);
		v->str = xstrndup(start, jp->p - start);
		return v;
	}
	jp->error = xstrdup(*jp->p ? "unexpected character" : "unexpected end");
	return NULL;
}

/*
 * Parse a whole JSON text; NULL with *error set when it is not JSON.
 */
JsonValue *
json_parse(const char *text, char **error)
{
	JsonParser	jp = {text, NULL};
	JsonValue  *v = json_value(&jp, 0);

	if (v)
	{
		json_skip_space(&jp);
		if (*jp.p)
		{
			v = NULL;
			jp.error = xstrdup("text after the value");
		}
	}
	if (v == NULL)
		*error = xasprintf("%s at offset %d", jp.error, (int) (jp.p - text));
	return v;
}

/*
 * A member of an object, or NULL.
 */
JsonValue *
json_get(const JsonValue *object, const char *key)
{
	int			i;

	if (object == NULL || object->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < object->n; i++)
		if (strcmp(object->keys[i], key) == 0)
			return object->items[i];
	return NULL;
}

/* ---- detection */

/*
 * Is "path" a migration file of the kind "-- <marker>" lines make?
 */
static bool
file_has_marker(const char *path, const char *marker)
{
	char	   *err = NULL;
	char	   *sql = read_file(path, &err);
	char	   *after;
	bool		found;

	found = sql && find_marker(sql, marker, &after) != NULL;
	free(sql);
	free(err);
	return found;
}

/*
 * Does "dir" hold Prisma's migration directories (<digits>_<name>/migration.sql)?
 */
static bool
looks_like_prisma(const char *dir)
{
	char	   *lock = path_join(dir, "migration_lock.toml");
	char	  **subdirs;
	char	   *err = NULL;
	int			n = 0;
	int			i;
	bool		found = file_exists(lock);

	free(lock);
	if (found)
		return true;
	if ((subdirs = list_directory(dir, &n, true, &err)) == NULL)
		return false;
	for (i = 0; i < n && !found; i++)
	{
		char	   *sub = path_join(dir, subdirs[i]);
		char	   *file = path_join(sub, "migration.sql");

		found = leading_digits(subdirs[i]) > 0 && file_exists(file);
		free(sub);
		free(file);
	}
	return found;
}

/*
 * Which layout is this directory in?  NULL with *error when it holds none,
 * or more than one.  Files that say which tool wrote them decide first
 * (sqitch.plan, atlas.sum, Drizzle's journal, Prisma's lock file); then
 * file names and marker lines; plain VERSION_name.sql files without any
 * marker are Supabase's.
 */
static const char *
detect_layout(const char *dir, char **names, int n, char **error)
{
	const char *found[6];
	int			nfound = 0;
	bool		golang = false;
	bool		flyway = false;
	bool		dbmate = false;
	bool		goose = false;
	bool		liquibase = false;
	bool		plain = false;
	char	   *journal = xasprintf("%s/meta/_journal.json", dir);
	bool		drizzle = file_exists(journal);
	int			i;

	free(journal);
	if (file_exists(path_join(dir, "sqitch.plan")))
		return "sqitch";
	if (file_exists(path_join(dir, "atlas.sum")))
		return "atlas";
	if (drizzle)
		return "drizzle";
	if (looks_like_prisma(dir))
		return "prisma";
	for (i = 0; i < n; i++)
	{
		char	   *v;
		char	   *s;
		char		prefix;
		bool		up;
		bool		ac;
		int			dialect;
		char	   *path = path_join(dir, names[i]);

		if (golang_name(names[i], &v, &s, &up, &ac, &dialect))
			golang = true;
		else if (flyway_name(names[i], &prefix, &v, &s))
			flyway = true;
		else if (ends_with(names[i], ".sql") && is_liquibase_file(path))
			liquibase = true;
		else if (leading_digits(names[i]) > 0 && ends_with(names[i], ".sql"))
		{
			if (file_has_marker(path, "migrate:up"))
				dbmate = true;
			else if (file_has_marker(path, "+goose up"))
				goose = true;
			else
				plain = true;
		}
		free(path);
	}
	if (golang)
		found[nfound++] = "golang-migrate";
	if (flyway)
		found[nfound++] = "flyway";
	if (dbmate)
		found[nfound++] = "dbmate";
	if (goose)
		found[nfound++] = "goose";
	if (liquibase)
		found[nfound++] = "liquibase";
	if (nfound == 0 && plain)
		return "supabase";
	if (nfound == 1)
		return found[0];
	if (nfound == 0)
		*error = xasprintf("no migrations found in \"%s\" (looked for sqitch.plan, atlas.sum, meta/_journal.json, Prisma's <version>_<name>/migration.sql, VERSION_name.up.sql, V1__name.sql, dbmate's \"-- migrate:up\", goose's \"-- +goose Up\", \"--liquibase formatted sql\" and Supabase's VERSION_name.sql files)",
						   dir);
	else
	{
		StrBuf		sb;

		sb_init(&sb);
		for (i = 0; i < nfound; i++)
			sb_printf(&sb, "%s%s", i ? ", " : "", found[i]);
		*error = xasprintf("\"%s\" holds files of more than one layout (%s); choose one with --format",
						   dir, sb.data);
		free(sb.data);
	}
	return NULL;
}

/*
 * Read the migrations of "dir" in "format" (NULL: detect it).
 */
MigrationSet *
layout_read(const char *dir, const char *format, char **error)
{
	MigrationSet *set = xmalloc(sizeof(MigrationSet));
	char	  **names;
	int			n = 0;
	bool		ok;

	memset(set, 0, sizeof(MigrationSet));
	if (!is_directory(dir))
	{
		*error = xasprintf("\"%s\" is not a directory", dir);
		return NULL;
	}
	/* a Supabase project directory: its migrations are in supabase/migrations */
	if (format == NULL || strcmp(format, "supabase") == 0)
	{
		char	   *sub = path_join(dir, "supabase/migrations");

		if (is_directory(sub))
			dir = sub;
		else
			free(sub);
	}
	if ((names = list_directory(dir, &n, false, error)) == NULL)
		return NULL;
	if (format == NULL && (format = detect_layout(dir, names, n, error)) == NULL)
		return NULL;
	if (strcmp(format, "ory") == 0)
		format = "golang-migrate";
	set->format = format;

	if (strcmp(format, "golang-migrate") == 0)
		ok = read_golang(set, dir, names, n, error);
	else if (strcmp(format, "dbmate") == 0)
		ok = read_dbmate(set, dir, names, n, error);
	else if (strcmp(format, "goose") == 0)
		ok = read_goose(set, dir, names, n, error);
	else if (strcmp(format, "flyway") == 0)
		ok = read_flyway(set, dir, names, n, error);
	else if (strcmp(format, "sqitch") == 0)
		ok = read_sqitch(set, dir, error);
	else if (strcmp(format, "liquibase") == 0)
		ok = read_liquibase(set, dir, names, n, error);
	else if (strcmp(format, "prisma") == 0)
		ok = read_prisma(set, dir, error);
	else if (strcmp(format, "drizzle") == 0)
		ok = read_drizzle(set, dir, error);
	else if (strcmp(format, "atlas") == 0)
		ok = read_atlas(set, dir, error);
	else
		ok = read_supabase(set, dir, names, n, error);
	if (!ok)
		return NULL;
	if (set->n == 0)
	{
		*error = xasprintf("no %s migrations found in \"%s\"", format, dir);
		return NULL;
	}
	return set;
}
