/*-------------------------------------------------------------------------
 *
 * policy.h
 *	  What the guard lets run: the exemption of the statement's facts,
 *	  the findings the running migration declares, the allowances of the
 *	  transaction; and the refusal with its report and event.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_POLICY_H
#define MIGRATOR_POLICY_H

#include "commands/event_trigger.h"
#include "nodes/parsenodes.h"

#include "analyze.h"

/* What the guard decided about a utility statement. */
typedef enum GuardVerdict
{
	VERDICT_UNSEEN,				/* the hook did not judge this statement */
	VERDICT_INERT,				/* guard off or inert here */
	VERDICT_NOT_DESTRUCTIVE,	/* no destructive finding */
	VERDICT_EXEMPT,				/* every target temporary or new */
	VERDICT_ALLOWED,			/* declared by a migration or allowed */
	VERDICT_EXEMPTED			/* allowed, a standing exemption among what
								 * covers it: migrator itself is not */
} GuardVerdict;

/* Where the statement being judged is, for reports. */
typedef struct GuardSource
{
	const char *query;			/* the whole query string */
	int			location;		/* the statement's offset in it */
	int			len;			/* its length, 0: to the end */
} GuardSource;

/*
 * What policy_statement_start() and policy_judge_statement() note about a
 * statement for policy_statement_end(), after the statement ran: decided
 * before it runs, since a transaction control statement frees the memory
 * its facts are in.
 */
typedef struct PolicyNote
{
	bool		record_after;	/* the statement needs autocommit */
	char	   *history_size;	/* DROP EXTENSION migrator: what goes */
	StatementFacts *facts;		/* for the judgement after it, or NULL */
	bool		judge_created;	/* CREATE TABLE AS: the relation created */
	bool		judge_defaults; /* defaults set on old columns or domains */
	bool		judge_dependencies; /* pg_depend: permanent on temporary */
	CommandId	first_cid;		/* the statement's first command */
	int			touched_from;	/* its first object created or altered */
	uint64		touch_generation;	/* of the transaction it started in */
} PolicyNote;

/* Define migrator.guard, register callbacks; called from GuardInit(). */
extern void PolicyInit(void);

/*
 * Judge a utility statement: refuse (ERROR), warn, or return a verdict;
 * "note" (NULL in the event trigger) learns what to judge after it.
 */
extern GuardVerdict policy_judge_statement(Node *stmt, bool subcommand,
										   GuardSource *source, PolicyNote *note,
										   StatementFacts **facts_out);

/*
 * Around a utility statement: guard-off traces, records, uninstall; after
 * it, what only its result shows (policy_statement_end()).
 */
extern void policy_statement_start(Node *stmt, GuardSource *source, PolicyNote *note);
extern void policy_statement_end(GuardSource *source, PolicyNote *note);

/* The object access hook saw an object created or altered ("internal": by the server itself). */
extern void policy_object_touched(Oid classId, Oid objectId, bool internal);

/*
 * An object the statement is about to drop (the object access hook): judge
 * it with what the hook decided about the statement.
 */
extern void policy_judge_dropped_object(GuardVerdict verdict,
										const char *statement_tag_name,
										bool cascades, List *invalid_indexes,
										Oid classid, Oid objid, int32 subid);

/* The sql_drop event trigger of 0.1 and 0.2 installs. */
extern void policy_judge_sql_drop(GuardVerdict verdict, List *invalid_indexes,
								  EventTriggerData *trigdata);

#endif							/* MIGRATOR_POLICY_H */
