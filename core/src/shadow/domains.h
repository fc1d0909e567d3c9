/*
 * The endpoint -> domain map moved to the domain folder (domain/endpoint_map.h), below
 * every folder that reads it. This header keeps the includes that still name the old
 * place working; new code includes "domain/endpoint_map.h".
 */
#ifndef PARITY_SHADOW_DOMAINS_H
#define PARITY_SHADOW_DOMAINS_H

#include "domain/endpoint_map.h"

#endif
