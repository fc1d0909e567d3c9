/*
 * The secrets tests' group setup (support_secrets.h): a temporary folder and the secrets
 * library ready.
 */
#include "support_secrets.h"

#include "secrets/secrets.h"

#include "support.h"

int t_secrets_setup(void **state)
{
	if (t_dir_setup(state))
		return -1;
	return ph_secrets_init(NULL);
}
