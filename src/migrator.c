/*-------------------------------------------------------------------------
 *
 * migrator.c
 *	  Module entry point of the migrator extension.
 *
 *-------------------------------------------------------------------------
 */
#include "migrator.h"

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Called when the library is loaded; each module that needs start-up work
 * gets an Init function called from here.
 */
void
_PG_init(void)
{
	GuardInit();
	DeployInit();
	MarkGUCPrefixReserved("migrator");
}
