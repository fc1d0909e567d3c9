/*
 * Fuzz target: loading a canned-LLM set file (canned-llm/<set>/NAME.json). The loader
 * reads a path, so the input goes to a scratch file; a set that loads answers a few
 * prompts through ph_llm_set_find (including the input's own first line as a prompt,
 * to reach hash, prefix and contains matches) and lists its entries and models.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "llm/llm_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const endpoints[] = { "/api/generate", "/api/chat",
						 "/v1/chat/completions", "/api/embed" };
	const char *path = fz_scratch_file("set.json", data, size);
	struct ph_llm_set *set = NULL;
	struct ph_err err;
	size_t i, n;

	if (ph_llm_set_load(path, &set, &err))
		return 0;
	n = ph_llm_set_size(set);
	for (i = 0; i < n; i++)
		if (!ph_llm_set_entry(set, i))
			abort();
	if (!ph_llm_set_fallback(set) || !json_is_array(ph_llm_set_models(set)))
		abort();
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		const char *nl = memchr(data, '\n', size);
		size_t plen = nl ? (size_t)(nl - (const char *)data) : size;

		ph_llm_set_find(set, endpoints[i], NULL, "", 0);
		ph_llm_set_find(set, endpoints[i], "m", "hello world", 11);
		ph_llm_set_find(set, endpoints[i], NULL, (const char *)data, plen);
	}
	{
		int dim = ph_llm_set_dimensions(set);
		double *v;

		if (dim <= 0)
			abort();
		if (dim <= 4096 && (v = malloc(sizeof(double) * (size_t)dim))) {
			ph_llm_embedding((const char *)data, size, dim, v);
			free(v);
		}
	}
	ph_llm_set_free(set);
	return 0;
}
