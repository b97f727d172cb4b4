/*-------------------------------------------------------------------------
 *
 * history.h
 *	  migrator's catalog: statements run as the extension owner, events,
 *	  the lock that serialises state changes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_HISTORY_H
#define MIGRATOR_HISTORY_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

/* The owner of the migrator extension in this database. */
extern Oid	migrator_extension_owner(void);

/*
 * Run one statement on the catalog as the extension owner with search_path
 * pinned; the caller is connected to SPI.  Returns the SPI result code.
 */
extern int	history_exec(const char *sql, int nargs, Oid *argtypes,
						 Datum *values, const char *nulls);
extern bool history_write_in_progress(void);

/* Take migrator's advisory lock for the transaction ("caller" for a NOTICE). */
extern void history_lock(const char *caller);

/* An events row, for history_events(). */
typedef struct HistoryEvent
{
	TimestampTz at;				/* when it happened */
	const char *version;
	const char *action;
	const char *migration_type;
	const char *outcome;
	const char *rule;
	const char *statement;
	const char *detail;
} HistoryEvent;

extern HistoryEvent *history_event_make(const char *version, const char *action,
										const char *migration_type,
										const char *outcome, const char *rule,
										const char *statement,
										const char *detail);

/* Append events rows (List of HistoryEvent) with one statement. */
extern void history_events(List *events);

/* Whether events has application_name and client_addr (0.2). */
extern bool history_events_have_client(void);

/* Whether migrations.up_statements (0.3) exists. */
extern bool history_migrations_have_bounds(void);

/* Append an events row in the current transaction. */
extern void history_event(const char *version, const char *action,
						  const char *migration_type, const char *outcome,
						  const char *rule, const char *statement,
						  const char *detail);

/* Append an events row that survives the rollback of the current one. */
extern void history_event_autonomous(const char *version, const char *action,
									 const char *migration_type, const char *outcome,
									 const char *rule, const char *statement,
									 const char *detail);

/*
 * Append a refusal to migrator.events of another database (a protected
 * one, refusing DROP DATABASE sent from here); failures are logged.
 */
extern void history_event_autonomous_in(Oid dboid, const char *action,
										const char *outcome, const char *rule,
										const char *statement, const char *detail);

/*
 * history_event() and history_event_autonomous() about "object" (as the
 * guard names it); before 0.3 the table
 * has no object column and the object is left out.
 */
extern void history_event_object(const char *version, const char *action,
								 const char *migration_type, const char *outcome,
								 const char *rule, const char *object,
								 const char *statement, const char *detail);
extern void history_event_autonomous_object(const char *version, const char *action,
											const char *migration_type,
											const char *outcome, const char *rule,
											const char *object, const char *statement,
											const char *detail);

/* Whether migrator.events has the 0.3 shape (object column, 0.3 actions). */
extern bool history_events_have_object(void);

/*
 * 0.3: whether migrations has the columns of imported histories, and why a
 * migration cannot be rolled back (NULL: it can, or the objects predate
 * 0.3); the caller is connected to SPI.
 */
extern bool history_migrations_have_import(void);
extern char *history_irreversible(const char *version);

#endif							/* MIGRATOR_HISTORY_H */
