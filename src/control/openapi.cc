#include <tessera/control/api.h>

#include "control/openapi_json.h"

namespace tessera::control {

std::string_view OpenApiDocument() { return kOpenApiJson; }

}  // namespace tessera::control
