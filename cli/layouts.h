/*-------------------------------------------------------------------------
 *
 * layouts.h
 *	  What the readers of migration directories share (layouts.c) and the
 *	  readers themselves.
 *
 *	layouts.c		detection, dispatch, and the helpers every reader uses:
 *					sorted directory listings, the transaction wrapper,
 *					"-- migrator:plan" lines, marker lines, a small JSON
 *					reader
 *	layouts_files.c	one file (or one directory) per migration: golang-migrate
 *					and ory, dbmate, goose, Flyway, Atlas, Prisma, Supabase
 *	layouts_plans.c	a plan, changelog or journal lists the migrations:
 *					Sqitch, Liquibase formatted SQL, Drizzle
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_CLI_LAYOUTS_H
#define MIGRATOR_CLI_LAYOUTS_H

#include "migrator_cli.h"

/* layouts.c: helpers */
extern bool ends_with(const char *s, const char *suffix);
extern size_t leading_digits(const char *s);
extern char **list_directory(const char *dir, int *count, bool dirs, char **error);
extern MigrationFile *set_add(MigrationSet *set, const char *version);
extern MigrationFile *set_find(MigrationSet *set, const char *version);
extern void strip_transaction_wrapper(char *sql);
extern char *extract_plan(const char *sql);
extern bool is_blank(const char *s);
extern char *read_script(const char *path, char **error);
extern char *find_marker(char *sql, const char *marker, char **after);
extern char *strip_leading_zeros(const char *digits);

/* A parsed JSON value (enough for Drizzle's journal). */
typedef enum JsonType
{
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
} JsonType;

typedef struct JsonValue
{
	JsonType	type;
	char	   *str;			/* string, or a number's text, or "true" */
	int			n;				/* array elements or object members */
	char	  **keys;			/* object member names */
	struct JsonValue **items;
} JsonValue;

extern JsonValue *json_parse(const char *text, char **error);
extern JsonValue *json_get(const JsonValue *object, const char *key);

/* layouts_files.c */
extern bool golang_name(const char *file, char **version, char **name,
						bool *up, bool *autocommit, int *dialect);
extern bool flyway_name(const char *file, char *prefix, char **version,
						char **desc);
extern bool read_golang(MigrationSet *set, const char *dir, char **names,
						int n, char **error);
extern bool read_dbmate(MigrationSet *set, const char *dir, char **names,
						int n, char **error);
extern bool read_goose(MigrationSet *set, const char *dir, char **names,
					   int n, char **error);
extern bool read_flyway(MigrationSet *set, const char *dir, char **names,
						int n, char **error);
extern bool read_atlas(MigrationSet *set, const char *dir, char **error);
extern bool read_prisma(MigrationSet *set, const char *dir, char **error);
extern bool read_supabase(MigrationSet *set, const char *dir, char **names,
						  int n, char **error);

/* layouts_plans.c */
extern bool read_sqitch(MigrationSet *set, const char *dir, char **error);
extern bool read_liquibase(MigrationSet *set, const char *dir, char **names,
						   int n, char **error);
extern bool read_drizzle(MigrationSet *set, const char *dir, char **error);
extern bool is_liquibase_file(const char *path);

#endif							/* MIGRATOR_CLI_LAYOUTS_H */
