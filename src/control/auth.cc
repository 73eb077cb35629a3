#include <tessera/control/auth.h>

namespace tessera::control {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kViewer:
      return "viewer";
    case Role::kParticipant:
      return "participant";
  }
  return "unknown";
}

std::optional<Role> RoleFromName(const std::string& name) {
  for (Role r : {Role::kAdmin, Role::kOperator, Role::kViewer, Role::kParticipant}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

}  // namespace tessera::control
