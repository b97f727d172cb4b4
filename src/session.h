/*-------------------------------------------------------------------------
 *
 * session.h
 *	  State of this backend that other modules read: the migration whose
 *	  script is running, where the current call comes from, and the
 *	  allowances of this transaction.
 *
 * session.c is a leaf: it includes no other module's header.  Each piece
 * of state has one writer:
 *
 *	running migration	apply.c (run_script()) and, in a background worker,
 *						worker.c from what its segment carries
 *	origin				worker.c, from its segment (a backend's own origin
 *						is its application_name and client address)
 *	allowances			guard.c's migrator.allow()
 *	staged script		staged.c, around each script of a staged change
 *
 * and everybody else only reads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_SESSION_H
#define MIGRATOR_SESSION_H

/* Register the transaction callbacks; called once from _PG_init. */
extern void SessionInit(void);

/*
 * The running migration: set while the "direction" ("up" or "down")
 * script of migration "version" (of "kind") runs in this process.  The
 * strings are copied; NULL clears.
 */
extern void session_set_migration(const char *version, const char *kind,
								  const char *direction);
extern bool session_migration(const char **version, const char **kind,
							  const char **direction);

/* Refuse a call of "function" from inside a migration's script. */
extern void session_check_not_in_migration(const char *function);

/*
 * The entry checks of every function that changes migrator's state: not
 * from inside a migration, not read-only, not during recovery.
 */
extern void session_begin_state_change(const char *function);

/*
 * Where the current call comes from: the application_name and client
 * address (NULL over a Unix socket) of this session, or, in a background
 * worker, those of the session it works for (session_set_origin()).
 */
extern void session_set_origin(const char *application_name,
							   const char *client_addr);
extern void session_origin(char **application_name, char **client_addr);

/*
 * Allowances of migrator.allow(): (rule, object) pairs that the guard lets
 * through for the rest of the current transaction.  One granted in a
 * subtransaction that rolls back goes with it.
 */
extern void session_allow(const char *rule, const char *object);
extern bool session_allowed(const char *rule, const char *object);

/*
 * The script a staged change's phase is running (staged.c sets it around
 * each script, the guard reads it): its destructive statements are the
 * planned ones.  NULL when none.  Not copied: the caller keeps it alive.
 */
extern void session_set_staged_script(const char *sql);
extern const char *session_staged_script(void);

#endif							/* MIGRATOR_SESSION_H */
