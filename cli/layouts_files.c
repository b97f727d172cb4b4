/*-------------------------------------------------------------------------
 *
 * layouts_files.c
 *	  Layouts with one file (or one directory) per migration.
 *
 *	golang-migrate, ory	VERSION_name.up.sql + VERSION_name.down.sql; a
 *						".autocommit." segment in the name makes the
 *						migration non-transactional; ory's dialect segment
 *						(".postgres.", ".mysql.", ...) selects PostgreSQL's
 *	dbmate				VERSION_name.sql with "-- migrate:up" and
 *						"-- migrate:down" sections; "transaction:false"
 *						after the up marker makes it non-transactional
 *	goose				VERSION_name.sql with "-- +goose Up" and
 *						"-- +goose Down"; "-- +goose NO TRANSACTION"
 *	Flyway				V<version>__<desc>.sql, undo U<version>__<desc>.sql,
 *						"executeInTransaction=false" in <file>.conf
 *	Atlas				the files atlas.sum lists, VERSION_name.sql;
 *						"-- atlas:txmode none" makes one non-transactional
 *	Prisma				<timestamp>_<name>/migration.sql (and down.sql,
 *						where a team keeps one)
 *	Supabase			supabase/migrations/<timestamp>_<name>.sql
 *
 *-------------------------------------------------------------------------
 */
#include "layouts.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/*
 * golang-migrate and ory: VERSION_name[.marker...].(up|down).sql
 */
bool
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
bool
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
			m->down_file = path;
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
 * The 1-based line of "text" on which "pos" lies.
 */
static int
line_at(const char *text, const char *pos)
{
	int			line = 1;

	for (; text < pos; text++)
		if (*text == '\n')
			line++;
	return line;
}

/*
 * A file with an up and an optional down section, each starting at a
 * marker line (dbmate's "-- migrate:up", goose's "-- +goose Up"): fills in
 * up, down (NULL when absent or blank), the lines they start on, and
 * returns the up marker line (for its options), or NULL with *error.
 */
static char *
split_sections(MigrationFile *m, const char *path, char *sql,
			   const char *up_marker, const char *down_marker, char **error)
{
	char	   *up_at;
	char	   *up_end;
	char	   *down_at;
	char	   *down_end = NULL;

	up_at = find_marker(sql, up_marker, &up_end);
	if (up_at == NULL)
	{
		*error = xasprintf("\"%s\" has no \"-- %s\" line", path, up_marker);
		return NULL;
	}
	down_at = find_marker(sql, down_marker, &down_end);
	if (down_at && down_at < up_at)
	{
		*error = xasprintf("\"%s\": \"-- %s\" comes before \"-- %s\"", path, down_marker, up_marker);
		return NULL;
	}
	m->file = xstrdup(path);
	m->up = xstrndup(up_end, (down_at ? down_at : up_end + strlen(up_end)) - up_end);
	m->up_line = line_at(sql, up_end);
	strip_transaction_wrapper(m->up);
	m->plan = extract_plan(m->up);
	if (down_at && !is_blank(down_end))
	{
		m->down = xstrdup(down_end);
		m->down_file = m->file;
		m->down_line = line_at(sql, down_end);
		strip_transaction_wrapper(m->down);
	}
	return xstrndup(up_at, up_end - up_at);
}

/*
 * One file as push would read it, for lint: a file with the up and down
 * markers of dbmate ("-- migrate:up") or goose ("-- +goose Up") is split
 * as those layouts split it, *layout names which (m->down is NULL when the
 * down section is absent or blank); any other file is one script, m->up,
 * with *layout NULL.  False with *error when the file cannot be read or
 * its markers are out of order.
 */
bool
layout_read_file(MigrationFile *m, const char *path, const char **layout, char **error)
{
	static const struct
	{
		const char *layout;
		const char *up;
		const char *down;
	}			sectioned[] = {
		{"dbmate", "migrate:up", "migrate:down"},
		{"goose", "+goose Up", "+goose Down"},
	};
	char	   *sql;
	char	   *after;
	size_t		i;

	memset(m, 0, sizeof(*m));
	*layout = NULL;
	if ((sql = read_file(path, error)) == NULL)
		return false;
	for (i = 0; i < sizeof(sectioned) / sizeof(sectioned[0]); i++)
	{
		char	   *options;

		if (find_marker(sql, sectioned[i].up, &after) == NULL &&
			find_marker(sql, sectioned[i].down, &after) == NULL)
			continue;
		if ((options = split_sections(m, path, sql, sectioned[i].up, sectioned[i].down, error)) == NULL)
			return false;
		free(options);
		free(sql);
		*layout = sectioned[i].layout;
		return true;
	}
	m->file = xstrdup(path);
	m->up = sql;
	m->up_line = 1;
	return true;
}

/*
 * The name of VERSION_name.sql (after the digits and one "_", without
 * ".sql").
 */
static char *
name_after_version(const char *file, size_t nd)
{
	size_t		skip = nd + (file[nd] == '_' ? 1 : 0);

	return xstrndup(file + skip, strlen(file) - skip - 4);
}

/*
 * Read dbmate files: VERSION_name.sql, one per version, split at its
 * markers; "transaction:false" on the up line makes it non-transactional.
 * The version is the leading number as written, as dbmate records it in
 * schema_migrations.
 */
bool
read_dbmate(MigrationSet *set, const char *dir, char **names, int n, char **error)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		size_t		nd = leading_digits(names[i]);
		char	   *path;
		char	   *sql;
		char	   *options;
		MigrationFile *m;
		char	   *version;

		if (nd == 0 || !ends_with(names[i], ".sql"))
			continue;
		path = path_join(dir, names[i]);
		if ((sql = read_file(path, error)) == NULL)
			return false;
		version = xstrndup(names[i], nd);
		if (set_find(set, version))
		{
			*error = xasprintf("two files for version %s; the second is \"%s\"", version, path);
			return false;
		}
		m = set_add(set, version);
		m->name = name_after_version(names[i], nd);
		if ((options = split_sections(m, path, sql, "migrate:up", "migrate:down", error)) == NULL)
			return false;
		m->transactional = strstr(options, "transaction:false") == NULL;
		free(options);
		free(sql);
		free(path);
	}
	return true;
}

/*
 * Read goose's SQL migrations: VERSION_name.sql with "-- +goose Up" and
 * "-- +goose Down" sections; "-- +goose NO TRANSACTION" anywhere makes the
 * migration non-transactional.  StatementBegin/StatementEnd lines stay:
 * they are comments, and the server's parser finds the statements itself.
 * goose keeps versions as integers (goose_db_version.version_id), so
 * "00012_x.sql" is version 12.  Go migrations are skipped with a message;
 * environment substitution (ENVSUB ON) is refused, since nothing would
 * expand it.
 */
bool
read_goose(MigrationSet *set, const char *dir, char **names, int n, char **error)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		size_t		nd = leading_digits(names[i]);
		char	   *path;
		char	   *sql;
		char	   *options;
		char	   *after;
		MigrationFile *m;
		char	   *version;
		MigrationFile *other;

		if (nd > 0 && ends_with(names[i], ".go"))
		{
			fprintf(stderr, "migrator: skipping Go migration \"%s\": only SQL migrations can be pushed\n",
					names[i]);
			continue;
		}
		if (nd == 0 || !ends_with(names[i], ".sql"))
			continue;
		path = path_join(dir, names[i]);
		if ((sql = read_file(path, error)) == NULL)
			return false;
		if (find_marker(sql, "+goose ENVSUB ON", &after))
		{
			*error = xasprintf("\"%s\" uses \"-- +goose ENVSUB ON\"; environment substitution is not supported", path);
			return false;
		}
		version = strip_leading_zeros(xstrndup(names[i], nd));
		if ((other = set_find(set, version)) != NULL)
		{
			*error = xasprintf("two files for goose version %s: \"%s\" and \"%s\"", version, other->file, path);
			return false;
		}
		m = set_add(set, version);
		m->name = name_after_version(names[i], nd);
		if ((options = split_sections(m, path, sql, "+goose Up", "+goose Down", error)) == NULL)
			return false;
		m->transactional = find_marker(sql, "+goose NO TRANSACTION", &after) == NULL;
		free(options);
		free(sql);
		free(path);
	}
	return true;
}

/*
 * Flyway: V<version>__<desc>.sql and U<version>__<desc>.sql; "_" in the
 * version stands for ".", as Flyway reads it.
 */
bool
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
bool
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
				m->down_file = path;
			}
		}
	return true;
}
/*
 * Atlas: atlas.sum lists the migration files in order ("h1:<sum>" on its
 * first line, then "<file> h1:<hash>" per file).  Each file is
 * VERSION_name.sql (VERSION as Atlas records it in
 * atlas_schema_revisions); "-- atlas:txmode none" makes it
 * non-transactional.  A .sql file that atlas.sum does not list is an
 * error, as it is for Atlas (the sum file was not updated).  The hashes
 * are not recomputed.
 */
bool
read_atlas(MigrationSet *set, const char *dir, char **error)
{
	char	   *sum_path = path_join(dir, "atlas.sum");
	char	   *text = read_file(sum_path, error);
	char	  **names;
	int			n = 0;
	char	   *line;
	char	   *next;
	int			lineno = 0;
	int			i;

	if (text == NULL)
		return false;
	for (line = text; line; line = next)
	{
		char	   *sp;
		char	   *file;
		char	   *path;
		char	   *sql;
		char	   *after;
		char	   *us;
		MigrationFile *m;
		char	   *version;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (lineno == 1 || *line == '\0')
			continue;
		sp = strrchr(line, ' ');
		if (sp == NULL || strncmp(sp + 1, "h1:", 3) != 0)
		{
			*error = xasprintf("%s, line %d: expected \"<file> h1:<hash>\"", sum_path, lineno);
			return false;
		}
		file = xstrndup(line, sp - line);
		if (!ends_with(file, ".sql"))
			continue;
		us = strchr(file, '_');
		version = us ? xstrndup(file, us - file) : xstrndup(file, strlen(file) - 4);
		if (set_find(set, version))
		{
			*error = xasprintf("%s, line %d: two files for version %s", sum_path, lineno, version);
			return false;
		}
		path = path_join(dir, file);
		if ((sql = read_script(path, error)) == NULL)
			return false;
		m = set_add(set, version);
		m->name = us ? xstrndup(us + 1, strlen(us + 1) - 4) : NULL;
		m->up = sql;
		m->file = path;
		m->plan = extract_plan(sql);
		m->transactional = find_marker(sql, "atlas:txmode none", &after) == NULL;
		free(file);
	}
	free(text);

	if ((names = list_directory(dir, &n, false, error)) == NULL)
		return false;
	for (i = 0; i < n; i++)
	{
		bool		listed = false;
		int			k;

		if (!ends_with(names[i], ".sql"))
			continue;
		for (k = 0; k < set->n && !listed; k++)
			listed = strcmp(strrchr(set->items[k].file, '/') + 1, names[i]) == 0;
		if (!listed)
		{
			*error = xasprintf("\"%s\" is not listed in %s; run \"atlas migrate hash\" after adding a file",
							   names[i], sum_path);
			return false;
		}
	}
	return true;
}

/*
 * Prisma: a directory per migration, <timestamp>_<name>/migration.sql,
 * beside migration_lock.toml.  The version is the timestamp; the whole
 * directory name is what _prisma_migrations records (migration_name), and
 * becomes the migration's key.  Prisma has no down migrations; a down.sql
 * in the directory (how Prisma's documentation suggests keeping one) is
 * the down script.
 */
bool
read_prisma(MigrationSet *set, const char *dir, char **error)
{
	char	  **subdirs;
	int			n = 0;
	int			i;

	if ((subdirs = list_directory(dir, &n, true, error)) == NULL)
		return false;
	for (i = 0; i < n; i++)
	{
		size_t		nd = leading_digits(subdirs[i]);
		char	   *sub = path_join(dir, subdirs[i]);
		char	   *path = path_join(sub, "migration.sql");
		char	   *down = path_join(sub, "down.sql");
		char	   *version;
		MigrationFile *m;

		if (nd == 0 || !file_exists(path))
		{
			free(sub);
			free(path);
			free(down);
			continue;
		}
		version = xstrndup(subdirs[i], nd);
		if (set_find(set, version))
		{
			*error = xasprintf("two Prisma migrations for version %s; the second is \"%s\"", version, sub);
			return false;
		}
		m = set_add(set, version);
		m->name = xstrdup(subdirs[i] + nd + (subdirs[i][nd] == '_' ? 1 : 0));
		m->key = xstrdup(subdirs[i]);
		if ((m->up = read_script(path, error)) == NULL)
			return false;
		m->file = path;
		m->plan = extract_plan(m->up);
		if (file_exists(down))
		{
			if ((m->down = read_script(down, error)) == NULL)
				return false;
			m->down_file = down;
		}
		free(sub);
	}
	return true;
}

/*
 * Supabase: supabase/migrations/<timestamp>_<name>.sql, each applied in a
 * transaction of its own; the version is the timestamp, as
 * supabase_migrations.schema_migrations records it.  There are no down
 * scripts.
 */
bool
read_supabase(MigrationSet *set, const char *dir, char **names, int n, char **error)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		size_t		nd = leading_digits(names[i]);
		char	   *path;
		char	   *version;
		MigrationFile *m;
		MigrationFile *other;

		if (nd == 0 || names[i][nd] != '_' || !ends_with(names[i], ".sql"))
			continue;
		path = path_join(dir, names[i]);
		version = xstrndup(names[i], nd);
		if ((other = set_find(set, version)) != NULL)
		{
			*error = xasprintf("two files for version %s: \"%s\" and \"%s\"", version, other->file, path);
			return false;
		}
		m = set_add(set, version);
		m->name = name_after_version(names[i], nd);
		if ((m->up = read_script(path, error)) == NULL)
			return false;
		m->file = path;
		m->plan = extract_plan(m->up);
	}
	return true;
}
