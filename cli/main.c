/*-------------------------------------------------------------------------
 *
 * main.c
 *	  migrator, the command-line client: arguments, help, dispatch.
 *
 *	migrator [OPTION]... SUBCOMMAND [ARG]...
 *
 * Every subcommand connects once, does its work through migrator's SQL
 * interface, prints a table (or JSON with --json) on stdout and progress
 * on stderr, and exits with a code that tells success, refusal and error
 * apart (migrator_cli.h, docs/cli.md).
 *
 *-------------------------------------------------------------------------
 */
#include "migrator_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/*
 * The client is released with the extension and carries its version:
 * cli/Makefile passes default_version of migrator.control.
 */
#ifndef MIGRATOR_CLI_VERSION
#error "MIGRATOR_CLI_VERSION is set by cli/Makefile from migrator.control"
#endif

typedef struct Command
{
	const char *name;
	CommandFunc func;
	const char *summary;
	const char *help;
	bool		own_connections;	/* connects itself (fleet) */
} Command;

static const Command commands[] = {
	{"push", cmd_push, "register every migration of a directory",
		"Usage: migrator push [--format LAYOUT] [--plan TEXT] [--import] [--dry-run] DIR\n"
		"\n"
		"Registers every migration in DIR with migrator.register(), in one\n"
		"transaction.  Pushing the same directory again changes nothing; a file\n"
		"whose migration is already applied with different content is refused\n"
		"(exit 3) and named.  Non-transactional markers and plans are read from\n"
		"the files.\n"
		"\n"
		"Layouts (detected, or chosen with --format):\n"
		"  golang-migrate (or ory)  VERSION_name.up.sql + VERSION_name.down.sql;\n"
		"                           \".autocommit.\" in the name: non-transactional\n"
		"  dbmate                   VERSION_name.sql with \"-- migrate:up\" and\n"
		"                           \"-- migrate:down\"; \"transaction:false\"\n"
		"  goose                    VERSION_name.sql with \"-- +goose Up\" and\n"
		"                           \"-- +goose Down\"; \"-- +goose NO TRANSACTION\"\n"
		"  flyway                   V<version>__<desc>.sql, undo U<version>__<desc>.sql\n"
		"  sqitch                   sqitch.plan with deploy/, revert/, verify/\n"
		"  liquibase                \"--liquibase formatted sql\" changelogs: each\n"
		"                           \"--changeset author:id\", its \"--rollback\" lines\n"
		"  prisma                   <timestamp>_<name>/migration.sql\n"
		"  drizzle                  meta/_journal.json and its <tag>.sql files\n"
		"  atlas                    the files atlas.sum lists; \"-- atlas:txmode none\"\n"
		"  supabase                 supabase/migrations/<timestamp>_<name>.sql\n"
		"\n"
		"A line \"-- migrator:plan TEXT\" in an up script becomes the migration's\n"
		"plan, which destructive migrations need.\n"
		"\n"
		"Options:\n"
		"  -f, --format=LAYOUT   golang-migrate, ory, dbmate, goose, flyway, sqitch,\n"
		"                        liquibase, prisma, drizzle, atlas or supabase\n"
		"      --plan=TEXT       plan for migrations whose files name none, e.g. when\n"
		"                        bringing in a history applied before migrator\n"
		"      --import          a history applied before migrator, as it is, through\n"
		"                        migrator.import(): destructive migrations without a\n"
		"                        plan get one saying so, those without a down script\n"
		"                        are recorded as irreversible (imported); every\n"
		"                        migration it marks is listed\n"
		"  -n, --dry-run         register and roll back: check every file, change nothing\n", false},
	{"status", cmd_status, "list registered migrations and their state",
		"Usage: migrator status [--verbose] [--json]\n"
		"\n"
		"Prints migrator.status(): one row per registered migration, in version\n"
		"order, with its state (pending, applied, failed) and the number of lint\n"
		"findings of each severity.  --verbose adds the findings themselves and\n"
		"the checksums; --json prints every column.\n", false},
	{"plan", cmd_plan, "show what apply would do, without doing it",
		"Usage: migrator plan [TARGET]\n"
		"\n"
		"Prints migrator.plan(TARGET): each pending migration up to TARGET (all\n"
		"without one) with what the server knows about it.  Needs a server whose\n"
		"migrator has plan() (exit 4 otherwise).\n", false},
	{"apply", cmd_apply, "apply pending migrations in one transaction",
		"Usage: migrator apply [--dry-run] [--allow-out-of-order] [TARGET]\n"
		"\n"
		"Applies the pending migrations up to TARGET (all without one) with\n"
		"migrator.apply(), in one transaction: all of them or none.  Prints a\n"
		"progress line per migration with its time.  Non-transactional\n"
		"migrations are refused: use \"migrator deploy\".\n"
		"\n"
		"Options:\n"
		"  -t, --target=VERSION      the same as TARGET\n"
		"      --allow-out-of-order  apply pending versions older than applied ones\n"
		"  -n, --dry-run             list what would be applied, change nothing\n", false},
	{"deploy", cmd_deploy, "run CALL migrator.deploy(): commit per migration",
		"Usage: migrator deploy [--dry-run] [TARGET]\n"
		"\n"
		"Calls the procedure migrator.deploy(TARGET), which commits each\n"
		"migration on its own and runs non-transactional ones; its notices are\n"
		"the progress lines.  Needs a server whose migrator has deploy()\n"
		"(exit 4 otherwise).\n"
		"\n"
		"Options:\n"
		"  -t, --target=VERSION  the same as TARGET\n"
		"  -n, --dry-run         list what would be deployed, change nothing\n", false},
	{"rollback", cmd_rollback, "run down scripts of the newest applied migrations",
		"Usage: migrator rollback [--steps N | --to VERSION] [--dry-run]\n"
		"\n"
		"Runs the down scripts of the most recently applied migrations, newest\n"
		"first, in one transaction: migrator.rollback(N) (default 1), or\n"
		"migrator.rollback_to(VERSION), which keeps VERSION applied.\n"
		"\n"
		"Options:\n"
		"      --steps=N       how many migrations to roll back (default 1)\n"
		"      --to=VERSION    roll back everything applied after VERSION\n"
		"  -n, --dry-run       list what would be rolled back, change nothing\n", false},
	{"verify", cmd_verify, "check applied migrations (checksum, verify script)",
		"Usage: migrator verify [VERSION]\n"
		"\n"
		"Prints migrator.verify(VERSION): for each applied migration (or one),\n"
		"whether its up script still matches its checksum and its verify script\n"
		"passes.  Exits 5 when any row has ok = false.\n", false},
	{"lint", cmd_lint, "report hazards in SQL files or a migration directory",
		"Usage: migrator lint [--format LAYOUT] FILE|DIR...\n"
		"\n"
		"Sends each file (or each up script of a migration directory) to\n"
		"migrator.lint(sql) and prints the findings with the file they are\n"
		"about.  A file with up and down sections (dbmate, goose) is linted\n"
		"as push reads it: the up section under the file's name, the down\n"
		"section under \"FILE (down)\".  Exits 5 when a finding of an up\n"
		"script has severity \"error\" (a down section's findings are shown\n"
		"only).  Needs a server whose migrator has lint() (exit 4 otherwise).\n", false},
	{"check", cmd_check, "prove that down scripts undo up scripts",
		"Usage: migrator check [ARG]...\n"
		"\n"
		"Prints migrator.check(ARG...), with the arguments passed as text.\n"
		"Exits 5 when any row has ok = false or severity \"error\".  Needs a\n"
		"server whose migrator has check() (exit 4 otherwise).\n", false},
	{"drift", cmd_drift, "report schema changes made outside migrator",
		"Usage: migrator drift\n"
		"\n"
		"Prints migrator.drift(); exits 5 when it reports any change.  Needs a\n"
		"server whose migrator has drift() (exit 4 otherwise).\n", false},
	{"adopt", cmd_adopt, "mark what another tool applied as migrator's baseline",
		"Usage: migrator adopt --from TOOL [--table NAME] [--project NAME] [--dry-run] [DIR]\n"
		"\n"
		"Reads TOOL's history table in this database and marks the matching\n"
		"registered migrations applied with migrator.baseline(), without running\n"
		"them.  Push the same directory first.  Adopting twice changes nothing.\n"
		"\n"
		"  dbmate           schema_migrations (every applied version)\n"
		"  golang-migrate   schema_migrations (the newest version; refused when dirty)\n"
		"  goose            goose_db_version (versions whose latest row is applied)\n"
		"  flyway           flyway_schema_history (successful versioned migrations\n"
		"                   not undone)\n"
		"  sqitch           sqitch.changes (deployed changes of the project, by name;\n"
		"                   DIR with sqitch.plan names the project)\n"
		"  liquibase        databasechangelog (executed changesets, matched by id,\n"
		"                   author and file to the changelogs in DIR, which it needs)\n"
		"  prisma           _prisma_migrations (finished, not rolled back)\n"
		"  drizzle          drizzle.__drizzle_migrations (journal entries of DIR, which\n"
		"                   it needs, up to the newest created_at)\n"
		"  atlas            atlas_schema_revisions (applied revisions and a baseline)\n"
		"  supabase         supabase_migrations.schema_migrations (every version)\n"
		"\n"
		"Options:\n"
		"      --from=TOOL      one of the tools above (ory for golang-migrate)\n"
		"      --table=NAME     the history table, if not in the default place\n"
		"      --project=NAME   the Sqitch project\n"
		"  -n, --dry-run        mark and roll back: check, change nothing\n", false},
	{"fleet", cmd_fleet, "deploy, status, drift or verify across many databases",
		"Usage: migrator fleet deploy [OPTION]... DIR [DATABASE]...\n"
		"       migrator fleet status|drift|verify [OPTION]... [DATABASE]...\n"
		"\n"
		"Runs one subcommand on many databases, each with its own history:\n"
		"  deploy DIR  push DIR and CALL migrator.deploy(); a rerun finishes only\n"
		"              what is missing\n"
		"  status      applied and pending migrations, and how far each database is\n"
		"              behind the others (or DIR, with --dir)\n"
		"  drift       which databases' schemas changed outside migrator (exit 5)\n"
		"  verify      which databases fail verify() (exit 5)\n"
		"\n"
		"A progress line per database on stderr, then a table (or --json) with\n"
		"a row per database.  The exit code is the worst database's.\n"
		"\n"
		"Databases (any mix):\n"
		"  DATABASE...             connection strings, URIs or database names\n"
		"      --database=CONNINFO  one more (repeatable)\n"
		"      --databases=FILE     one connection string a line (# comments)\n"
		"      --match=GLOB         every database of the server that -d/-h/-p/-U\n"
		"                           name whose name matches GLOB (e.g. 'tenant_*')\n"
		"\n"
		"Options:\n"
		"  -j, --jobs=N              databases at a time (default 1)\n"
		"      --canary=K            the first K databases first; if one fails,\n"
		"                            no other database is touched\n"
		"      --on-failure=POLICY   stop (start no more databases after a failure;\n"
		"                            deploy's default) or continue (the default of\n"
		"                            status, drift and verify)\n"
		"      --dir=DIR             status: count what DIR has that a database lacks\n"
		"  -f, --format=LAYOUT       the layout of DIR\n"
		"  -n, --dry-run             deploy: push and roll back, report what is pending\n",
	true},
	{NULL, NULL, NULL, NULL, false}
};

static void
usage(FILE *out)
{
	int			i;

	fprintf(out,
			"migrator keeps schema migrations inside PostgreSQL; this client pushes\n"
			"migration directories into it and runs its SQL interface.\n"
			"\n"
			"Usage:\n"
			"  migrator [OPTION]... SUBCOMMAND [ARG]...\n"
			"\n"
			"Subcommands:\n");
	for (i = 0; commands[i].name; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
			"\n"
			"Connection options (libpq also reads PG* variables and ~/.pgpass):\n"
			"  -d, --dbname=CONNINFO    database name, conninfo string or URI\n"
			"  -h, --host=HOST          server host or socket directory\n"
			"  -p, --port=PORT          server port\n"
			"  -U, --username=USER      user name\n"
			"\n"
			"Output options:\n"
			"      --json               results as a JSON array of objects\n"
			"  -v, --verbose            status: every column (findings, checksums)\n"
			"  -q, --quiet              no progress lines\n"
			"  -n, --dry-run            change nothing (push, apply, deploy, rollback, adopt)\n"
			"\n"
			"Other options:\n"
			"  -V, --version            print the version and exit\n"
			"  -?, --help               this help; \"migrator SUBCOMMAND --help\" for one\n"
			"\n"
			"Exit codes:\n"
			"  0  success\n"
			"  1  error (connection, SQL, files)\n"
			"  2  bad command line\n"
			"  3  refused by migrator (SQLSTATE class MG: plan required, checksum\n"
			"     mismatch, out of order, blocked, ...)\n"
			"  4  this server's migrator has no such function (SQLSTATE 42883)\n"
			"  5  verify, lint, check or drift reported a problem\n");
}

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"json", no_argument, NULL, 15},
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"format", required_argument, NULL, 'f'},
		{"target", required_argument, NULL, 't'},
		{"from", required_argument, NULL, 1},
		{"table", required_argument, NULL, 2},
		{"project", required_argument, NULL, 3},
		{"to", required_argument, NULL, 4},
		{"steps", required_argument, NULL, 5},
		{"allow-out-of-order", no_argument, NULL, 6},
		{"plan", required_argument, NULL, 7},
		{"import", no_argument, NULL, 16},
		{"jobs", required_argument, NULL, 'j'},
		{"canary", required_argument, NULL, 9},
		{"on-failure", required_argument, NULL, 10},
		{"database", required_argument, NULL, 11},
		{"databases", required_argument, NULL, 12},
		{"match", required_argument, NULL, 13},
		{"dir", required_argument, NULL, 14},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 8},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	CliOptions opts;
	bool		help = false;
	const Command *cmd = NULL;
	PGconn	   *conn;
	int			c;
	int			i;
	int			rc;

	memset(&opts, 0, sizeof(opts));
	while ((c = getopt_long(argc, argv, "d:h:p:U:nqvf:t:j:V?", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts.dbname = optarg;
				break;
			case 'h':
				opts.host = optarg;
				break;
			case 'p':
				opts.port = optarg;
				break;
			case 'U':
				opts.user = optarg;
				break;
			case 15:
				opts.json = true;
				break;
			case 'j':
			case 9:
				{
					char	   *end;
					long		n = strtol(optarg, &end, 10);

					if (*optarg == '\0' || *end != '\0' || n < (c == 'j' ? 1 : 0) || n > (c == 'j' ? 64 : 1000000))
					{
						cli_error("--%s must be a number %s, not \"%s\"", c == 'j' ? "jobs" : "canary",
								  c == 'j' ? "from 1 to 64" : "from 0", optarg);
						return EXIT_USAGE;
					}
					if (c == 'j')
						opts.jobs = (int) n;
					else
						opts.canary = (int) n;
				}
				break;
			case 10:
				opts.on_failure = optarg;
				break;
			case 11:
				opts.targets = xrealloc(opts.targets, sizeof(char *) * (opts.ntargets + 1));
				opts.targets[opts.ntargets++] = optarg;
				break;
			case 12:
				opts.targets_file = optarg;
				break;
			case 13:
				opts.match = optarg;
				break;
			case 14:
				opts.dir = optarg;
				break;
			case 'n':
				opts.dry_run = true;
				break;
			case 'q':
				opts.quiet = true;
				break;
			case 'v':
				opts.verbose = true;
				break;
			case 'f':
				if (!layout_is_known(optarg))
				{
					cli_error("unknown layout \"%s\" (golang-migrate, ory, dbmate, goose, flyway, sqitch, liquibase, prisma, drizzle, atlas, supabase)", optarg);
					return EXIT_USAGE;
				}
				opts.format = optarg;
				break;
			case 't':
				opts.target = optarg;
				break;
			case 1:
				opts.from = optarg;
				break;
			case 2:
				opts.table = optarg;
				break;
			case 3:
				opts.project = optarg;
				break;
			case 4:
				opts.to = optarg;
				break;
			case 5:
				{
					char	   *end;
					long		n = strtol(optarg, &end, 10);

					if (*optarg == '\0' || *end != '\0' || n < 1 || n > 1000000)
					{
						cli_error("--steps must be a positive number, not \"%s\"", optarg);
						return EXIT_USAGE;
					}
					opts.steps = (int) n;
				}
				break;
			case 6:
				opts.allow_out_of_order = true;
				break;
			case 7:
				opts.plan = optarg;
				break;
			case 16:
				opts.import = true;
				break;
			case 'V':
				printf("migrator %s\n", MIGRATOR_CLI_VERSION);
				return EXIT_OK;
			case 8:
				help = true;
				break;
			case '?':
				/* "-?" asks for help; anything else getopt did not know */
				if (optopt == '?' || strcmp(argv[optind - 1], "-?") == 0)
				{
					help = true;
					break;
				}
				usage(stderr);
				return EXIT_USAGE;
			default:
				usage(stderr);
				return EXIT_USAGE;
		}
	}

	if (optind < argc && strcmp(argv[optind], "help") == 0)
	{
		help = true;
		optind++;
	}
	if (optind < argc)
	{
		for (i = 0; commands[i].name; i++)
			if (strcmp(commands[i].name, argv[optind]) == 0)
				cmd = &commands[i];
		if (cmd == NULL)
		{
			cli_error("unknown subcommand \"%s\"", argv[optind]);
			fprintf(stderr, "Try \"migrator --help\" for more information.\n");
			return EXIT_USAGE;
		}
		optind++;
	}
	if (help)
	{
		if (cmd)
			fputs(cmd->help, stdout);
		else
			usage(stdout);
		return EXIT_OK;
	}
	if (cmd == NULL)
	{
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opts.to && opts.steps)
	{
		cli_error("rollback takes --steps or --to, not both");
		return EXIT_USAGE;
	}

	if (cmd->own_connections)
		return cmd->func(NULL, &opts, argc - optind, argv + optind);
	conn = cli_connect(&opts);
	rc = cmd->func(conn, &opts, argc - optind, argv + optind);
	PQfinish(conn);
	return rc;
}
