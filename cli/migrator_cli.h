/*-------------------------------------------------------------------------
 *
 * migrator_cli.h
 *	  Declarations shared by the files of the migrator command-line client.
 *
 *	main.c		arguments, help texts, dispatch to a subcommand
 *	connect.c	the connection (conninfo, PG* variables, .pgpass through
 *				libpq), running SQL with parameters, errors and exit codes
 *	layouts.c	directory readers (layouts.h): golang-migrate/ory, dbmate,
 *				goose, Flyway, Sqitch, Liquibase, Prisma, Drizzle, Atlas,
 *				Supabase
 *	push.c		"migrator push": register a directory through register()
 *	commands.c	status, plan, apply, deploy, rollback, verify, lint,
 *				check, drift: calls of the SQL interface
 *	adopt.c		"migrator adopt": another tool's history as a baseline
 *	fleet.c		"migrator fleet": deploy, status, drift, verify across many
 *				databases, a child process per database
 *	output.c	aligned tables, JSON, progress lines
 *	util.c		strings, files, allocation that exits on failure
 *
 * The client never splices file contents or user input into SQL: every
 * value travels as a parameter of PQexecParams.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_CLI_H
#define MIGRATOR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "libpq-fe.h"

/* Exit codes; docs/cli.md lists them. */
#define EXIT_OK				0	/* done */
#define EXIT_ERROR			1	/* connection, SQL or file error */
#define EXIT_USAGE			2	/* bad command line */
#define EXIT_REFUSED		3	/* migrator refused (SQLSTATE class MG) */
#define EXIT_MISSING		4	/* this server's migrator lacks the function */
#define EXIT_FAILED_CHECK	5	/* verify/lint/check/drift reported a problem */

/* Options common to every subcommand. */
typedef struct CliOptions
{
	const char *dbname;			/* conninfo string or URI, or NULL */
	const char *host;
	const char *port;
	const char *user;
	bool		json;
	bool		verbose;		/* status: every column */
	bool		dry_run;
	bool		quiet;			/* no progress lines */
	const char *format;			/* push: layout, or NULL to detect */
	const char *from;			/* adopt: tool */
	const char *table;			/* adopt: history table */
	const char *project;		/* adopt: Sqitch project */
	const char *target;			/* apply, deploy, plan */
	const char *to;				/* rollback --to */
	int			steps;			/* rollback --steps */
	bool		allow_out_of_order;
	const char *plan;		/* push: plan for files that name none */
	bool		import;			/* push: through import(), history as it is */
	/* fleet */
	int			jobs;			/* databases at a time */
	int			canary;			/* databases that go first */
	const char *on_failure;		/* "stop" or "continue" */
	const char **targets;		/* --database, repeatable */
	int			ntargets;
	const char *targets_file;	/* --databases FILE */
	const char *match;			/* --match GLOB: databases of the server */
	const char *dir;			/* fleet status --dir */
} CliOptions;

/* A subcommand: name, implementation, one-line summary, help text. */
typedef int (*CommandFunc) (PGconn *conn, const CliOptions *opts,
							int argc, char **argv);

/* util.c */
extern void *xmalloc(size_t size);
extern void *xrealloc(void *ptr, size_t size);
extern char *xstrdup(const char *s);
extern char *xstrndup(const char *s, size_t n);
extern char *xasprintf(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern char *read_file(const char *path, char **error);
extern bool file_exists(const char *path);
extern bool is_directory(const char *path);
extern char *path_join(const char *dir, const char *name);
extern double now_ms(void);
extern void cli_error(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* A growable string. */
typedef struct StrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} StrBuf;
extern void sb_init(StrBuf *sb);
extern void sb_append(StrBuf *sb, const char *s);
extern void sb_append_n(StrBuf *sb, const char *s, size_t n);
extern void sb_printf(StrBuf *sb, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* connect.c */
extern PGconn *cli_connect(const CliOptions *opts);
extern PGconn *cli_connect_to(const CliOptions *opts, const char *conninfo,
							  const char *dbname, char **error);
extern PGresult *cli_exec(PGconn *conn, const char *sql, int nparams,
						  const char *const *params);
extern int	cli_result_exit(PGconn *conn, PGresult *res, const char *function,
							const char *context);
extern bool cli_command_ok(PGresult *res);
extern int	cli_simple(PGconn *conn, const char *sql);
extern char *cli_client_hint(const char *hint, const char *layout);


/* output.c */
typedef enum CellType
{
	CELL_TEXT,
	CELL_NUMBER,
	CELL_BOOL,
	CELL_JSON
} CellType;

typedef struct Table
{
	int			ncols;
	char	  **names;
	CellType   *types;
	int			nrows;
	int			cap;
	char	 ***rows;			/* NULL cell = SQL NULL */
} Table;

extern Table *table_new(int ncols, const char *const *names,
						const CellType *types);
extern Table *table_for_result(const PGresult *res);
extern void table_add_row(Table *t, const char *const *values);
extern void table_add_result(Table *t, const PGresult *res);
extern void table_print(FILE *out, const Table *t, bool json);
extern int	table_column(const Table *t, const char *name);
extern void progress(const CliOptions *opts, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* layouts.c */
typedef struct MigrationFile
{
	char	   *version;
	char	   *name;
	char	   *up;
	char	   *down;			/* NULL when there is none */
	char	   *verify;			/* NULL when there is none */
	char	   *plan;			/* NULL when there is none */
	bool		transactional;
	char	   *file;			/* the file holding up, for messages */
	int			up_line;		/* the line of "file" on which up starts */
	char	   *down_file;		/* the file holding down, or NULL */
	int			down_line;		/* the line of "down_file" on which down starts */
	char	   *verify_file;	/* the file holding verify, or NULL */
	char	   *key;			/* the tool's own name for it, for adopt
								 * (Sqitch change, Liquibase id/author/file,
								 * Prisma directory, Drizzle timestamp), or
								 * NULL */
} MigrationFile;

typedef struct MigrationSet
{
	const char *format;			/* layout name */
	char	   *project;		/* Sqitch project, or NULL */
	int			n;
	int			cap;
	MigrationFile *items;
} MigrationSet;

extern const char *const layout_names[];
extern void cli_set_error_source(const MigrationFile *m, const char *layout);
extern bool layout_is_known(const char *format);
extern MigrationSet *layout_read(const char *dir, const char *format,
								 char **error);
extern bool layout_read_file(MigrationFile *m, const char *path,
							 const char **layout, char **error);

/* push.c */
extern int	push_set(PGconn *conn, const CliOptions *opts, const MigrationSet *set,
					 const char *dir, bool print);

/* the subcommands */
extern int	cmd_push(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_status(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_plan(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_apply(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_deploy(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_rollback(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_verify(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_lint(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_check(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_drift(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_adopt(PGconn *conn, const CliOptions *opts, int argc, char **argv);
extern int	cmd_fleet(PGconn *conn, const CliOptions *opts, int argc, char **argv);

#endif							/* MIGRATOR_CLI_H */
