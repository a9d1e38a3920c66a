/* asynctasks.h: everything libasynctasks has, for the programs and tests
 * built with it from this tree (they link lib/libasynctasks-internal.la).
 * Not installed: the installed API is client.h, and plugin.h for plugins. */
#ifndef ASYNCTASKS_H
#define ASYNCTASKS_H

#include <asynctasks/error.h>
#include <asynctasks/types.h>
#include <asynctasks/config.h>
#include <asynctasks/log.h>
#include <asynctasks/util.h>
#include <asynctasks/account.h>
#include <asynctasks/db.h>
#include <asynctasks/business.h>
#include <asynctasks/user.h>
#include <asynctasks/tasktype.h>
#include <asynctasks/task.h>
#include <asynctasks/resolve.h>
#include <asynctasks/pause.h>
#include <asynctasks/audit.h>
#include <asynctasks/session.h>
#include <asynctasks/access.h>
#include <asynctasks/demo.h>
#include <asynctasks/run.h>
#include <asynctasks/apitoken.h>
#include <asynctasks/client.h>
#include <asynctasks/stats.h>
#include <asynctasks/prune.h>
#include <asynctasks/schedule.h>
#include <asynctasks/bulk.h>
#include <asynctasks/dashboard.h>

#endif
