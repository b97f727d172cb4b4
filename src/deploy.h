/*-------------------------------------------------------------------------
 *
 * deploy.h
 *	  CALL migrator.deploy().
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_DEPLOY_H
#define MIGRATOR_DEPLOY_H

/* Define deploy's GUCs; called once from _PG_init. */
extern void DeployInit(void);

#endif							/* MIGRATOR_DEPLOY_H */
