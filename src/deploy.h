/*-------------------------------------------------------------------------
 *
 * deploy.h
 *	  CALL migrator.deploy().
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_DEPLOY_H
#define MIGRATOR_DEPLOY_H

#include "datatype/timestamp.h"

/* Define deploy's GUCs; called once from _PG_init. */
extern void DeployInit(void);

/*
 * A step of a deploy, run in a subtransaction with a short lock_timeout
 * and retried with backoff when it times out (deploy_with_retries()):
 * each migration of deploy(), each phase of a staged change.
 */
typedef void (*DeployStep) (void *arg);
extern int	deploy_with_retries(const char *version, const char *kind,
								const char *action, const char *what,
								DeployStep step, void *arg,
								int lock_timeout_ms, int lock_retries);

/* What pg_stat_activity shows for the steps ("CALL migrator.complete()"). */
extern void deploy_set_activity(const char *call);

/* migrator.lock_timeout, migrator.lock_retries, and a lock_timeout argument. */
extern int	deploy_default_lock_timeout(void);
extern int	deploy_default_lock_retries(void);
extern int	deploy_interval_ms(Interval *iv);

#endif							/* MIGRATOR_DEPLOY_H */
