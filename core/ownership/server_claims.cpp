#include "ownership/server_claims.h"
