/* membership.c: who belongs to which business, and with what role. */
#include "config.h"

#include <string.h>

#include "internal.h"

const char *
at_role_str(int role)
{
    switch (role) {
    case AT_ROLE_MEMBER: return "member";
    case AT_ROLE_BUSINESS_ADMIN: return "business_admin";
    default: return "none";
    }
}

int
at_role_parse(const char *s)
{
    if (s && strcmp(s, "member") == 0)
        return AT_ROLE_MEMBER;
    if (s && strcmp(s, "business_admin") == 0)
        return AT_ROLE_BUSINESS_ADMIN;
    return AT_ROLE_NONE;
}

int
at_member_add(at_db *db, uint64_t business_id, uint64_t user_id, int role, at_error *err)
{
    if (role != AT_ROLE_MEMBER && role != AT_ROLE_BUSINESS_ADMIN)
        return at_error_set(err, AT_EINVAL, "role must be member or business_admin");
    db_arg a[] = {da_u64(business_id), da_u64(user_id), da_str(at_role_str(role))};
    int rc = db_exec(db, DB_RETRY,
                     "INSERT INTO memberships (business_id, user_id, role) VALUES (?, ?, ?) "
                     "ON DUPLICATE KEY UPDATE role = VALUES(role)",
                     a, 3, NULL, NULL, err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ENOTFOUND, "no business #%llu or no user #%llu",
                            (unsigned long long) business_id, (unsigned long long) user_id);
    return rc ? at_error_wrap(err, "add member") : AT_OK;
}

int
at_member_role(at_db *db, uint64_t business_id, uint64_t user_id, int *role, at_error *err)
{
    *role = AT_ROLE_NONE;
    db_arg a[] = {da_u64(business_id), da_u64(user_id)};
    db_res r;
    int rc = db_query(db, DB_RETRY,
                      "SELECT role FROM memberships WHERE business_id = ? AND user_id = ?", a, 2,
                      &r, err);
    if (rc)
        return rc;
    if ((rc = db_fetch(&r, err)) == 1)
        *role = at_role_parse(db_col(&r, 0, NULL));
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}
