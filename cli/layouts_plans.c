/*-------------------------------------------------------------------------
 *
 * layouts_plans.c
 *	  Layouts where a plan, changelog or journal lists the migrations.
 *
 *	Sqitch		sqitch.plan with deploy/, revert/, verify/ scripts; a
 *				change's dependencies must come earlier in the plan, and
 *				are recorded in the migration's plan text
 *	Liquibase	formatted SQL changelogs ("--liquibase formatted sql"):
 *				each "--changeset author:id" is a migration, its
 *				"--rollback" lines the down script
 *	Drizzle		meta/_journal.json lists <tag>.sql files in order
 *
 * None of them has a version number, so a migration's version is its
 * position (Sqitch, Liquibase) or its tag's number (Drizzle), and the
 * tool's own identity for it (change name; id, author and file; the
 * journal's timestamp) is kept as its key, which adopt matches against
 * the tool's history table.
 *
 *-------------------------------------------------------------------------
 */
#include "layouts.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Sqitch: sqitch.plan and deploy/, revert/, verify/.
 */
bool
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
		m->key = name;
		path = xasprintf("%s/deploy/%s.sql", dir, name);
		if ((m->up = read_script(path, error)) == NULL)
			return false;
		m->file = path;
		path = xasprintf("%s/revert/%s.sql", dir, name);
		if (file_exists(path))
		{
			if ((m->down = read_script(path, error)) == NULL)
				return false;
			m->down_file = path;
		}
		path = xasprintf("%s/verify/%s.sql", dir, name);
		if (file_exists(path))
		{
			if ((m->verify = read_script(path, error)) == NULL)
				return false;
			m->verify_file = path;
		}
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
 * "--<word>" at the start of a line, with optional blanks after "--",
 * compared without regard to case: returns what follows the word, or
 * NULL.
 */
static const char *
dashdash_word(const char *line, const char *word)
{
	const char *p = line;
	size_t		len = strlen(word);

	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] != '-' || p[1] != '-')
		return NULL;
	p += 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, word, len) != 0)
		return NULL;
	return p + len;
}

/*
 * Is this a Liquibase formatted SQL changelog (its first line says so)?
 */
bool
is_liquibase_file(const char *path)
{
	char	   *err = NULL;
	char	   *text = read_file(path, &err);
	const char *p;
	bool		found;

	if (text == NULL)
	{
		free(err);
		return false;
	}
	p = text;
	while (isspace((unsigned char) *p))
		p++;
	found = dashdash_word(p, "liquibase formatted sql") != NULL;
	free(text);
	return found;
}

/*
 * The value of "name:value" among a changeset line's attributes, or NULL.
 */
static char *
changeset_attribute(const char *attrs, const char *name)
{
	const char *p = attrs;
	size_t		len = strlen(name);

	while (*p)
	{
		const char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		end = p;
		while (*end && *end != ' ' && *end != '\t')
			end++;
		if ((size_t) (end - p) > len && strncasecmp(p, name, len) == 0 && p[len] == ':')
			return xstrndup(p + len + 1, end - p - len - 1);
		p = end;
	}
	return NULL;
}

/*
 * Does a changeset's dbms attribute (a comma-separated list, "!" to
 * exclude, "all" and "none" as Liquibase reads them) admit PostgreSQL?
 */
static bool
dbms_admits_postgresql(const char *dbms)
{
	char	   *list = xstrdup(dbms);
	char	   *save;
	char	   *item;
	bool		any_positive = false;
	bool		admitted = false;

	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save))
	{
		bool		negated = item[0] == '!';
		const char *name = negated ? item + 1 : item;
		bool		pg = strcasecmp(name, "postgresql") == 0 || strcasecmp(name, "all") == 0;

		if (negated && pg)
		{
			free(list);
			return false;
		}
		if (!negated)
		{
			any_positive = true;
			if (pg)
				admitted = true;
		}
	}
	free(list);
	return admitted || !any_positive;
}

/*
 * One changelog: its changesets in order.  "file" is its name in the
 * directory; *seq numbers the migrations across files.
 */
static bool
read_liquibase_file(MigrationSet *set, const char *dir, const char *file,
					int *seq, char **error)
{
	char	   *path = path_join(dir, file);
	char	   *text = read_file(path, error);
	char	   *logical = NULL;
	char	   *line;
	char	   *next = NULL;
	int			lineno = 0;
	MigrationFile *m = NULL;
	StrBuf		up;
	StrBuf		down;
	bool		in_rollback_block = false;
	bool		skip = false;

	if (text == NULL)
		return false;
	sb_init(&up);
	sb_init(&down);
	for (line = text;; line = next)
	{
		const char *rest = NULL;
		const char *changeset = NULL;

		if (line)
		{
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			lineno++;
			if (!in_rollback_block && (changeset = dashdash_word(line, "changeset")) != NULL &&
				*changeset != ' ' && *changeset != '\t')
				changeset = NULL;
		}

		/* a new changeset, or the end of the file: finish the previous one */
		if (line == NULL || changeset != NULL)
		{
			if (m)
			{
				m->up = xstrdup(up.data);
				strip_transaction_wrapper(m->up);
				m->plan = extract_plan(m->up);
				if (!is_blank(down.data))
				{
					m->down = xstrdup(down.data);
					m->down_file = m->file;
				}
				m = NULL;
			}
			up.len = down.len = 0;
			up.data[0] = down.data[0] = '\0';
			if (line == NULL)
				break;
		}

		if (lineno == 1 && (rest = dashdash_word(line, "liquibase formatted sql")) != NULL)
		{
			logical = changeset_attribute(rest, "logicalFilePath");
			continue;
		}
		if (changeset != NULL)
		{
			const char *p = changeset;
			const char *author;
			size_t		author_len;
			const char *id;
			size_t		id_len;
			char	   *attr;
			char	   *version;

			while (*p == ' ' || *p == '\t')
				p++;
			author = p;
			if (*p == '"')
			{
				author = ++p;
				while (*p && *p != '"')
					p++;
				author_len = p - author;
				if (*p)
					p++;
			}
			else
			{
				while (*p && *p != ':' && *p != ' ' && *p != '\t')
					p++;
				author_len = p - author;
			}
			if (*p != ':' || author_len == 0)
			{
				*error = xasprintf("%s, line %d: expected \"--changeset author:id\"", path, lineno);
				return false;
			}
			id = ++p;
			if (*p == '"')
			{
				id = ++p;
				while (*p && *p != '"')
					p++;
				id_len = p - id;
				if (*p)
					p++;
			}
			else
			{
				while (*p && *p != ' ' && *p != '\t')
					p++;
				id_len = p - id;
			}
			if (id_len == 0)
			{
				*error = xasprintf("%s, line %d: expected \"--changeset author:id\"", path, lineno);
				return false;
			}
			skip = false;
			if ((attr = changeset_attribute(p, "dbms")) != NULL)
			{
				skip = !dbms_admits_postgresql(attr);
				free(attr);
			}
			if (skip)
			{
				fprintf(stderr, "migrator: skipping changeset %.*s:%.*s of \"%s\": not for PostgreSQL (dbms)\n",
						(int) author_len, author, (int) id_len, id, path);
				continue;
			}
			version = xasprintf("%d_%.*s", ++*seq, (int) id_len, id);
			m = set_add(set, version);
			m->name = xstrndup(id, id_len);
			m->key = xasprintf("%.*s%c%.*s%c%s", (int) id_len, id, '\x1f', (int) author_len, author,
							   '\x1f', logical ? logical : file);
			m->file = path;
			m->up_line = lineno + 1;
			if ((attr = changeset_attribute(p, "runInTransaction")) != NULL)
			{
				m->transactional = strcasecmp(attr, "false") != 0;
				free(attr);
			}
			if ((attr = changeset_attribute(p, "runAlways")) != NULL ||
				(attr = changeset_attribute(p, "runOnChange")) != NULL)
			{
				if (strcasecmp(attr, "true") == 0)
					fprintf(stderr, "migrator: changeset %s of \"%s\" (line %d) runs always or on change in Liquibase; migrator applies it once\n",
							m->name, path, lineno);
				free(attr);
			}
			continue;
		}
		if (m == NULL)
			continue;			/* before the first changeset, or skipped */

		/* rollback: "--rollback SQL" lines, or a "liquibase rollback" block */
		if (in_rollback_block)
		{
			const char *close = strstr(line, "*/");

			if (close)
			{
				sb_append_n(&down, line, close - line);
				in_rollback_block = false;
			}
			else
				sb_append(&down, line);
			sb_append(&down, "\n");
		}
		else if (strncasecmp(line, "/* liquibase rollback", 21) == 0)
		{
			const char *close = strstr(line + 21, "*/");

			if (close)
				sb_append_n(&down, line + 21, close - line - 21);
			else
				in_rollback_block = true;
			sb_append(&down, "\n");
		}
		else if ((rest = dashdash_word(line, "rollback")) != NULL &&
				 (*rest == ' ' || *rest == '\t' || *rest == '\0'))
		{
			sb_append(&down, *rest ? rest + 1 : rest);
			sb_append(&down, "\n");
		}
		/* every line of the changeset is its up script, comments included */
		sb_append(&up, line);
		sb_append(&up, "\n");
	}
	free(up.data);
	free(down.data);
	free(text);
	return true;
}

/*
 * Liquibase formatted SQL: every changelog in the directory, in name order
 * (as Liquibase's includeAll reads a directory), each changeset a
 * migration whose version is its position ("3_add-email") and whose key is
 * what databasechangelog identifies it by: id, author and file name (or
 * the changelog's logicalFilePath).  "runInTransaction:false" makes a
 * changeset non-transactional; changesets whose dbms attribute excludes
 * PostgreSQL are skipped.
 */
bool
read_liquibase(MigrationSet *set, const char *dir, char **names, int n, char **error)
{
	int			seq = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		char	   *path = path_join(dir, names[i]);
		bool		is_changelog = ends_with(names[i], ".sql") && is_liquibase_file(path);

		free(path);
		if (is_changelog && !read_liquibase_file(set, dir, names[i], &seq, error))
			return false;
	}
	return true;
}

/*
 * Drizzle: meta/_journal.json lists the migrations ("entries": idx, when,
 * tag); each is <tag>.sql, its statements separated by
 * "--> statement-breakpoint" comment lines.  The version is the tag's
 * number ("0003" of "0003_lucky_wolf"), the key the journal's "when",
 * which is what __drizzle_migrations.created_at records.  Drizzle runs
 * migrations in a transaction and has no down scripts.
 */
bool
read_drizzle(MigrationSet *set, const char *dir, char **error)
{
	char	   *journal_path = xasprintf("%s/meta/_journal.json", dir);
	char	   *text = read_file(journal_path, error);
	JsonValue  *journal;
	JsonValue  *dialect;
	JsonValue  *entries;
	char	   *jerr = NULL;
	int			i;

	if (text == NULL)
		return false;
	if ((journal = json_parse(text, &jerr)) == NULL)
	{
		*error = xasprintf("%s is not valid JSON: %s", journal_path, jerr);
		return false;
	}
	dialect = json_get(journal, "dialect");
	if (dialect && dialect->type == JSON_STRING && strcmp(dialect->str, "postgresql") != 0 &&
		strcmp(dialect->str, "pg") != 0)
	{
		*error = xasprintf("%s is for dialect \"%s\", not PostgreSQL", journal_path, dialect->str);
		return false;
	}
	entries = json_get(journal, "entries");
	if (entries == NULL || entries->type != JSON_ARRAY)
	{
		*error = xasprintf("%s has no \"entries\" array", journal_path);
		return false;
	}
	for (i = 0; i < entries->n; i++)
	{
		JsonValue  *tag = json_get(entries->items[i], "tag");
		JsonValue  *when = json_get(entries->items[i], "when");
		char	   *file;
		char	   *path;
		size_t		nd;
		MigrationFile *m;
		char	   *version;

		if (tag == NULL || tag->type != JSON_STRING || when == NULL || when->type != JSON_NUMBER)
		{
			*error = xasprintf("%s: entry %d has no \"tag\" string and \"when\" number", journal_path, i + 1);
			return false;
		}
		nd = leading_digits(tag->str);
		version = nd ? xstrndup(tag->str, nd) : xstrdup(tag->str);
		if (set_find(set, version))
		{
			*error = xasprintf("%s: two entries for version %s", journal_path, version);
			return false;
		}
		file = xasprintf("%s.sql", tag->str);
		path = path_join(dir, file);
		m = set_add(set, version);
		m->name = xstrdup(tag->str + nd + (tag->str[nd] == '_' ? 1 : 0));
		m->key = xstrdup(when->str);
		if ((m->up = read_script(path, error)) == NULL)
			return false;
		m->file = path;
		m->plan = extract_plan(m->up);
		free(file);
	}
	free(text);
	return true;
}
