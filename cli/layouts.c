/*-------------------------------------------------------------------------
 *
 * layouts.c
 *	  Readers of migration directories written for other tools.
 *
 *	golang-migrate, ory	VERSION_name.up.sql + VERSION_name.down.sql; a
 *						".autocommit." segment in the name makes the
 *						migration non-transactional; ory's dialect segment
 *						(".postgres.", ".mysql.", ...) selects PostgreSQL's
 *	dbmate				VERSION_name.sql with "-- migrate:up" and
 *						"-- migrate:down" sections; "transaction:false"
 *						after the up marker makes it non-transactional
 *	Flyway				V<version>__<desc>.sql, undo U<version>__<desc>.sql,
 *						"executeInTransaction=false" in <file>.conf
 *	Sqitch				sqitch.plan with deploy/, revert/, verify/ scripts;
 *						a change's dependencies must come earlier in the
 *						plan, and are recorded in the migration's plan text
 *
 * Every layout: lines "-- migrator:plan <text>" in the up script become
 * the migration's plan (which register() requires of destructive
 * migrations), and a script wrapped in "BEGIN;" ... "COMMIT;" lines (as
 * golang-migrate and Sqitch scripts usually are) loses the wrapper, since
 * migrator runs each migration in its own transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const layout_names[] = {"golang-migrate", "dbmate", "flyway", "sqitch", NULL};

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
static bool
ends_with(const char *s, const char *suffix)
{
	size_t		ls = strlen(s);
	size_t		lf = strlen(suffix);

	return ls >= lf && strcmp(s + ls - lf, suffix) == 0;
}

/*
 * How many digits "s" starts with.
 */
static size_t
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
 * The regular files of a directory, sorted by name; NULL on error.
 */
static char **
list_directory(const char *dir, int *count, char **error)
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
		if (file_exists(path))
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
static MigrationFile *
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
	return m;
}

/*
 * The migration of this version in the set, or NULL.
 */
static MigrationFile *
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
static void
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
static char *
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
static bool
is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char) *s))
			return false;
	return true;
}

/* Reads a script file, strips its wrapper; NULL with *error on failure. */
static char *
read_script(const char *path, char **error)
{
	char	   *sql = read_file(path, error);

	if (sql)
		strip_transaction_wrapper(sql);
	return sql;
}

/*
 * golang-migrate and ory: VERSION_name[.marker...].(up|down).sql
 */
static bool
golang_name(const char *file, char **version, char **name, bool *up,
			bool *autocommit, int *dialect)
{
	size_t		nd = leading_digits(file);
	const char *rest;
	char	   *stem;
	char	   *seg;
	char	   *save;
	size_t		len;

	if (nd == 0 || file[nd] != '_' || !ends_with(file, ".sql"))
		return false;
	len = strlen(file) - 4;
	if (len > 3 && strncmp(file + len - 3, ".up", 3) == 0)
	{
		*up = true;
		len -= 3;
	}
	else if (len > 5 && strncmp(file + len - 5, ".down", 5) == 0)
	{
		*up = false;
		len -= 5;
	}
	else
		return false;
	rest = file + nd + 1;
	stem = xstrndup(rest, len - nd - 1);
	*version = xstrndup(file, nd);
	*autocommit = false;
	*dialect = 0;				/* 0 any, 1 PostgreSQL's, -1 another's */
	seg = strtok_r(stem, ".", &save);
	*name = xstrdup(seg ? seg : "");
	while (seg && (seg = strtok_r(NULL, ".", &save)) != NULL)
	{
		if (strcmp(seg, "autocommit") == 0)
			*autocommit = true;
		else if (strcmp(seg, "postgres") == 0 || strcmp(seg, "postgresql") == 0 ||
				 strcmp(seg, "pg") == 0)
			*dialect = 1;
		else if (strcmp(seg, "mysql") == 0 || strcmp(seg, "sqlite") == 0 ||
				 strcmp(seg, "sqlite3") == 0 || strcmp(seg, "cockroach") == 0 ||
				 strcmp(seg, "cockroachdb") == 0 || strcmp(seg, "mssql") == 0 ||
				 strcmp(seg, "sqlserver") == 0)
			*dialect = -1;
	}
	free(stem);
	return true;
}

/*
 * Read golang-migrate / ory files: an up file per version (PostgreSQL's
 * dialect preferred), an optional down file.
 */
static bool
read_golang(MigrationSet *set, const char *dir, char **names, int n, char **error)
{
	int		   *dialects = xmalloc(sizeof(int) * 2 * (n + 1));
	char	  **chosen = xmalloc(sizeof(char *) * 2 * (n + 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		char	   *version;
		char	   *name;
		bool		up;
		bool		autocommit;
		int			dialect;
		MigrationFile *m;
		char	   *path;
		char	   *sql;
		int			idx;

		if (!golang_name(names[i], &version, &name, &up, &autocommit, &dialect))
			continue;
		if (dialect < 0)
			continue;
		m = set_find(set, version);
		if (m == NULL)
		{
			m = set_add(set, version);
			m->name = name;
			m->up = NULL;
			dialects[2 * (set->n - 1)] = dialects[2 * (set->n - 1) + 1] = -2;
		}
		idx = 2 * (m - set->items) + (up ? 0 : 1);
		/* a PostgreSQL-specific file wins over a generic one */
		if (dialects[idx] == dialect)
		{
			*error = xasprintf("two %s files for version %s: \"%s\" and \"%s\"",
							   up ? "up" : "down", version, chosen[idx], names[i]);
			return false;
		}
		if (dialects[idx] > dialect)
			continue;
		dialects[idx] = dialect;
		chosen[idx] = names[i];
		path = path_join(dir, names[i]);
		if ((sql = read_script(path, error)) == NULL)
			return false;
		if (up)
		{
			m->up = sql;
			m->file = path;
			m->transactional = !autocommit;
			m->plan = extract_plan(sql);
		}
		else
		{
			m->down = sql;
			if (m->file == NULL)
				m->file = path;
		}
	}
	for (i = 0; i < set->n; i++)
		if (set->items[i].up == NULL)
		{
			*error = xasprintf("\"%s\" has no matching .up.sql file", set->items[i].file);
			return false;
		}
	free(dialects);
	free(chosen);
	return true;
}

/*
 * dbmate: VERSION_name.sql with "-- migrate:up [transaction:false]" and
 * "-- migrate:down" lines.  Returns the position of the marker line and,
 * through *after, where the line ends; NULL when absent.
 */
static char *
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
				strncmp(q, marker, strlen(marker)) == 0)
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
 * Read dbmate files: one per version, split at its markers.
 */
static bool
read_dbmate(MigrationSet *set, const char *dir, char **names, int n, char **error)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		size_t		nd = leading_digits(names[i]);
		char	   *path;
		char	   *sql;
		char	   *up_at;
		char	   *up_end;
		char	   *down_at;
		char	   *down_end = NULL;
		char	   *options;
		MigrationFile *m;
		char	   *version;

		if (nd == 0 || !ends_with(names[i], ".sql"))
			continue;
		path = path_join(dir, names[i]);
		if ((sql = read_file(path, error)) == NULL)
			return false;
		up_at = find_marker(sql, "migrate:up", &up_end);
		if (up_at == NULL)
		{
			*error = xasprintf("\"%s\" has no \"-- migrate:up\" line", path);
			return false;
		}
		down_at = find_marker(sql, "migrate:down", &down_end);
		if (down_at && down_at < up_at)
		{
			*error = xasprintf("\"%s\": \"-- migrate:down\" comes before \"-- migrate:up\"", path);
			return false;
		}
		version = xstrndup(names[i], nd);
		if (set_find(set, version))
		{
			*error = xasprintf("two files for version %s; the second is \"%s\"", version, path);
			return false;
		}
		m = set_add(set, version);
		m->file = path;
		m->name = xstrndup(names[i] + nd + (names[i][nd] == '_' ? 1 : 0),
						   strlen(names[i]) - nd - (names[i][nd] == '_' ? 1 : 0) - 4);
		options = xstrndup(up_at, up_end - up_at);
		m->transactional = strstr(options, "transaction:false") == NULL;
		m->up = xstrndup(up_end, (down_at ? down_at : up_end + strlen(up_end)) - up_end);
		strip_transaction_wrapper(m->up);
		m->plan = extract_plan(m->up);
		if (down_at && !is_blank(down_end))
		{
			m->down = xstrdup(down_end);
			strip_transaction_wrapper(m->down);
		}
		free(options);
		free(sql);
	}
	return true;
}

/*
 * Flyway: V<version>__<desc>.sql and U<version>__<desc>.sql; "_" in the
 * version stands for ".", as Flyway reads it.
 */
static bool
flyway_name(const char *file, char *prefix, char **version, char **desc)
{
	const char *sep = strstr(file, "__");
	char	   *p;

	if ((file[0] != 'V' && file[0] != 'U' && file[0] != 'R') || sep == NULL ||
		!ends_with(file, ".sql"))
		return false;
	*prefix = file[0];
	*version = xstrndup(file + 1, sep - file - 1);
	for (p = *version; *p; p++)
		if (*p == '_')
			*p = '.';
	*desc = xstrndup(sep + 2, strlen(sep + 2) - 4);
	for (p = *desc; *p; p++)
		if (*p == '_')
			*p = ' ';
	return (*prefix == 'R') == (**version == '\0') &&
		(*prefix == 'R' || isdigit((unsigned char) **version));
}

/*
 * Read Flyway files: V files are migrations, U files their undo scripts.
 */
static bool
read_flyway(MigrationSet *set, const char *dir, char **names, int n, char **error)
{
	int			pass;
	int			i;

	/* versioned migrations first, then their undo scripts */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
		{
			char		prefix;
			char	   *version;
			char	   *desc;
			char	   *path;
			char	   *sql;
			MigrationFile *m;

			if (!flyway_name(names[i], &prefix, &version, &desc))
				continue;
			if (prefix == 'R')
			{
				if (pass == 0)
					fprintf(stderr, "migrator: skipping repeatable migration \"%s\": not supported\n",
							names[i]);
				continue;
			}
			if ((prefix == 'V') != (pass == 0))
				continue;
			path = path_join(dir, names[i]);
			if ((sql = read_script(path, error)) == NULL)
				return false;
			m = set_find(set, version);
			if (prefix == 'V')
			{
				char	   *conf_path = xasprintf("%s.conf", path);

				if (m)
				{
					*error = xasprintf("two migrations for version %s; the second is \"%s\"", version, path);
					return false;
				}
				m = set_add(set, version);
				m->name = desc;
				m->up = sql;
				m->file = path;
				m->plan = extract_plan(sql);
				if (file_exists(conf_path))
				{
					char	   *conf = read_file(conf_path, error);

					if (conf == NULL)
						return false;
					if (strstr(conf, "executeInTransaction=false") ||
						strstr(conf, "executeInTransaction = false"))
						m->transactional = false;
					free(conf);
				}
				free(conf_path);
			}
			else
			{
				if (m == NULL)
				{
					*error = xasprintf("undo script \"%s\" has no versioned migration V%s", path, version);
					return false;
				}
				m->down = sql;
			}
		}
	return true;
}

/*
 * Sqitch: sqitch.plan and deploy/, revert/, verify/.
 */
static bool
read_sqitch(MigrationSet *set, const char *dir, char **error)
{
	char	   *plan_path = path_join(dir, "sqitch.plan");
	char	   *text = read_file(plan_path, error);
	char	   *line;
	char	   *next;
	int			lineno = 0;
	int			seq = 0;

	if (text == NULL)
		return false;
	for (line = text; line; line = next)
	{
		char	   *p = line;
		char	   *name;
		char	   *version;
		StrBuf		requires;
		StrBuf		conflicts;
		MigrationFile *m;
		char	   *path;
		int			i;

		/* one line at a time; blank lines count */
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0' || *p == '#' || *p == '@')
			continue;
		if (*p == '%')
		{
			if (strncmp(p, "%project=", 9) == 0)
			{
				char	   *e = p + 9;

				while (*e && !isspace((unsigned char) *e))
					e++;
				set->project = xstrndup(p + 9, e - p - 9);
			}
			continue;
		}
		if (*p == '-')
		{
			*error = xasprintf("%s, line %d: revert operations (\"-change\") are not supported",
							   plan_path, lineno);
			return false;
		}
		if (*p == '+')
			p++;
		name = p;
		while (*p && !isspace((unsigned char) *p) && *p != '[')
			p++;
		name = xstrndup(name, p - name);
		for (i = 0; i < set->n; i++)
			if (strcmp(set->items[i].name, name) == 0)
			{
				*error = xasprintf("%s, line %d: change \"%s\" is reworked; reworked changes are not supported",
								   plan_path, lineno, name);
				return false;
			}

		/* dependencies: [a b !c]; each required change must come earlier */
		sb_init(&requires);
		sb_init(&conflicts);
		while (isspace((unsigned char) *p))
			p++;
		if (*p == '[')
		{
			char	   *end = strchr(p, ']');
			char	   *deps;
			char	   *dep;
			char	   *dsave;

			if (end == NULL)
			{
				*error = xasprintf("%s, line %d: unterminated dependency list", plan_path, lineno);
				return false;
			}
			deps = xstrndup(p + 1, end - p - 1);
			for (dep = strtok_r(deps, " \t", &dsave); dep; dep = strtok_r(NULL, " \t", &dsave))
			{
				bool		conflict = dep[0] == '!';
				char	   *d = xstrdup(conflict ? dep + 1 : dep);
				char	   *at = strchr(d, '@');
				bool		earlier = false;

				if (strchr(d, ':'))
				{
					*error = xasprintf("%s, line %d: change \"%s\" depends on \"%s\" in another project; cross-project dependencies are not supported",
									   plan_path, lineno, name, d);
					return false;
				}
				if (at)
					*at = '\0';
				for (i = 0; i < set->n; i++)
					if (strcmp(set->items[i].name, d) == 0)
						earlier = true;
				if (!conflict && !earlier)
				{
					*error = xasprintf("%s, line %d: change \"%s\" requires \"%s\", which does not come before it in the plan",
									   plan_path, lineno, name, d);
					return false;
				}
				if (conflict && earlier)
				{
					*error = xasprintf("%s, line %d: change \"%s\" conflicts with \"%s\", which the plan deploys before it",
									   plan_path, lineno, name, d);
					return false;
				}
				sb_printf(conflict ? &conflicts : &requires, "%s%s",
						  (conflict ? conflicts.len : requires.len) ? ", " : "", d);
				free(d);
			}
			free(deps);
		}

		version = xasprintf("%d_%s", ++seq, name);
		m = set_add(set, version);
		m->name = name;
		path = xasprintf("%s/deploy/%s.sql", dir, name);
		if ((m->up = read_script(path, error)) == NULL)
			return false;
		m->file = path;
		path = xasprintf("%s/revert/%s.sql", dir, name);
		if (file_exists(path) && (m->down = read_script(path, error)) == NULL)
			return false;
		path = xasprintf("%s/verify/%s.sql", dir, name);
		if (file_exists(path) && (m->verify = read_script(path, error)) == NULL)
			return false;
		m->plan = extract_plan(m->up);
		if (requires.len || conflicts.len)
		{
			StrBuf		plan;

			sb_init(&plan);
			if (m->plan)
				sb_printf(&plan, "%s\n", m->plan);
			if (requires.len)
				sb_printf(&plan, "sqitch requires: %s%s", requires.data, conflicts.len ? "\n" : "");
			if (conflicts.len)
				sb_printf(&plan, "sqitch conflicts: %s", conflicts.data);
			m->plan = plan.data;
		}
		free(requires.data);
		free(conflicts.data);
	}
	free(text);
	if (set->n == 0)
	{
		*error = xasprintf("%s lists no changes", plan_path);
		return false;
	}
	return true;
}

/*
 * Which layout is this directory in?  NULL with *error when it holds none,
 * or more than one.
 */
static const char *
detect_layout(const char *dir, char **names, int n, char **error)
{
	bool		golang = false;
	bool		flyway = false;
	bool		dbmate = false;
	int			found;
	int			i;

	if (file_exists(path_join(dir, "sqitch.plan")))
		return "sqitch";
	for (i = 0; i < n; i++)
	{
		char	   *v;
		char	   *s;
		char		prefix;
		bool		up;
		bool		ac;
		int			dialect;

		if (golang_name(names[i], &v, &s, &up, &ac, &dialect))
			golang = true;
		else if (flyway_name(names[i], &prefix, &v, &s))
			flyway = true;
		else if (leading_digits(names[i]) > 0 && ends_with(names[i], ".sql"))
		{
			char	   *path = path_join(dir, names[i]);
			char	   *err = NULL;
			char	   *sql = read_file(path, &err);
			char	   *after;

			if (sql && find_marker(sql, "migrate:up", &after))
				dbmate = true;
			free(sql);
			free(path);
		}
	}
	found = golang + flyway + dbmate;
	if (found == 1)
		return golang ? "golang-migrate" : flyway ? "flyway" : "dbmate";
	if (found == 0)
		*error = xasprintf("no migrations found in \"%s\" (looked for sqitch.plan, VERSION_name.up.sql, V1__name.sql, and dbmate's \"-- migrate:up\" files)",
						   dir);
	else
		*error = xasprintf("\"%s\" holds files of more than one layout (%s%s%s); choose one with --format",
						   dir, golang ? "golang-migrate " : "", flyway ? "flyway " : "",
						   dbmate ? "dbmate" : "");
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
	if ((names = list_directory(dir, &n, error)) == NULL)
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
	else if (strcmp(format, "flyway") == 0)
		ok = read_flyway(set, dir, names, n, error);
	else
		ok = read_sqitch(set, dir, error);
	if (!ok)
		return NULL;
	if (set->n == 0)
	{
		*error = xasprintf("no %s migrations found in \"%s\"", format, dir);
		return NULL;
	}
	return set;
}
