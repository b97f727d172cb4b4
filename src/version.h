/*-------------------------------------------------------------------------
 *
 * version.h
 *	  Migration versions: their natural order, and what a version may be.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_VERSION_H
#define MIGRATOR_VERSION_H

/* <0, 0 or >0 as "a" sorts before, with or after "b". */
extern int	version_compare(const char *a, const char *b);

/* Refuse a version argument "argname" that is NULL, blank or has controls. */
extern void check_version_argument(const char *version, const char *argname);

#endif							/* MIGRATOR_VERSION_H */
