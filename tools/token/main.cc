// tessera-token: mints bearer tokens for Tessera's HTTP API and manages its keys file.
//
//   tessera-token --keys FILE --role ROLE [--room R] [--sub S] [--ttl SECONDS] [--kid K]
//                 [--iss ISSUER] [--aud AUDIENCE]          prints a token
//   tessera-token --new-key FILE [--alg HS256|ES256] [--kid K]
//                                                          creates FILE (0600) or adds a key;
//                                                          prints the kid
//
// Exit status: 0 done, 1 the keys file or signing failed, 2 bad usage.
#include <tessera/control/auth.h>
#include <tessera/control/jwt.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using tessera::control::JwtKey;

constexpr char kUsage[] =
    "usage: tessera-token --keys FILE --role ROLE [--room ROOM] [--sub SUBJECT] [--ttl SECONDS]\n"
    "                     [--kid KID] [--iss ISSUER] [--aud AUDIENCE]\n"
    "       tessera-token --new-key FILE [--alg HS256|ES256] [--kid KID]\n"
    "\n"
    "  --keys FILE     the keys file (control.keys_file) holding the signing key\n"
    "  --role ROLE     admin, operator, viewer or participant\n"
    "  --room ROOM     limit the token to one room (default: every room)\n"
    "  --sub SUBJECT   who the token is for (logged by the server)\n"
    "  --ttl SECONDS   lifetime, 1 to 86400 (default 300; the server refuses tokens living longer\n"
    "                  than control.max_token_lifetime_s, 300 by default)\n"
    "  --kid KID       the key to sign with (default: the last key in the file that can sign);\n"
    "                  with --new-key, the new key's id (default: a random one)\n"
    "  --iss ISSUER    the iss claim (default tessera; \"\" leaves it out)\n"
    "  --aud AUDIENCE  the aud claim (default tessera; \"\" leaves it out)\n"
    "  --new-key FILE  create FILE (mode 0600) with a fresh key, or add one to it\n"
    "  --alg ALG       the new key's algorithm: HS256 (default) or ES256\n"
    "\n"
    "Prints the token (or the new key's kid) on stdout. Exit status: 0 done, 1 failed, 2 bad "
    "usage.\n";

constexpr uint32_t kMaxTtlS = 24 * 3600;
constexpr uint32_t kDefaultMaxLifetimeS = 300;

int Usage(const std::string& error) {
  std::fprintf(stderr, "tessera-token: %s\n\n%s", error.c_str(), kUsage);
  return 2;
}

int Fail(const std::string& error) {
  std::fprintf(stderr, "tessera-token: %s\n", error.c_str());
  return 1;
}

int NewKey(const std::map<std::string, std::string>& args) {
  for (const auto& arg : args) {
    if (arg.first != "--new-key" && arg.first != "--alg" && arg.first != "--kid") {
      return Usage(arg.first + " does not go with --new-key");
    }
  }
  const std::string& path = args.at("--new-key");
  if (path.empty()) return Usage("--new-key needs a file name");
  JwtKey::Alg alg = JwtKey::Alg::kHs256;
  if (auto it = args.find("--alg"); it != args.end()) {
    auto parsed = tessera::control::JwtAlgFromName(it->second);
    if (!parsed) return Usage("--alg must be HS256 or ES256, not \"" + it->second + "\"");
    alg = *parsed;
  }
  std::string kid = tessera::control::NewKid();
  if (auto it = args.find("--kid"); it != args.end()) kid = it->second;
  const tessera::Status s = tessera::control::CreateKeyFile(path, alg, kid);
  if (s.code() == tessera::StatusCode::kInvalidArgument && s.message().rfind("kid ", 0) == 0) {
    return Usage(s.message());
  }
  if (!s.ok()) return Fail(s.message());
  std::printf("%s\n", kid.c_str());
  return 0;
}

int Mint(const std::map<std::string, std::string>& args) {
  auto get = [&args](const char* name, const std::string& fallback) {
    auto it = args.find(name);
    return it == args.end() ? fallback : it->second;
  };
  if (!args.count("--role")) return Usage("--role is required with --keys");
  if (args.count("--alg")) return Usage("--alg goes with --new-key only");
  const std::string role = args.at("--role");
  if (!tessera::control::RoleFromName(role)) {
    return Usage("--role must be admin, operator, viewer or participant, not \"" + role + "\"");
  }

  uint32_t ttl = kDefaultMaxLifetimeS;
  if (auto it = args.find("--ttl"); it != args.end()) {
    const std::string& text = it->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ttl);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || ttl == 0 ||
        ttl > kMaxTtlS) {
      return Usage("--ttl must be a whole number of seconds from 1 to 86400");
    }
  }
  if (ttl > kDefaultMaxLifetimeS) {
    std::fprintf(stderr,
                 "tessera-token: note: a ttl above %u s is refused unless the server's "
                 "control.max_token_lifetime_s allows it\n",
                 kDefaultMaxLifetimeS);
  }

  auto keys = tessera::control::LoadJwtKeys(args.at("--keys"));
  if (!keys.ok()) return Fail(keys.status().message());
  const JwtKey* key = nullptr;
  if (auto it = args.find("--kid"); it != args.end()) {
    for (const JwtKey& k : *keys) {
      if (k.kid == it->second) key = &k;
    }
    if (key == nullptr)
      return Fail("no key with kid \"" + it->second + "\" in " + args.at("--keys"));
    if (!key->CanSign()) {
      return Fail("key \"" + key->kid + "\" has no private_key_pem: it can verify, not sign");
    }
  } else {
    // The newest key that can sign: --new-key appends, so after a rotation this is the new one.
    for (const JwtKey& k : *keys) {
      if (k.CanSign()) key = &k;
    }
    if (key == nullptr) {
      return Fail(args.at("--keys") +
                  " holds no key that can sign (ES256 keys need private_key_pem)");
    }
  }

  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  nlohmann::json claims = {{"role", role}, {"iat", now}, {"exp", now + ttl}};
  const std::string iss = get("--iss", "tessera");
  const std::string aud = get("--aud", "tessera");
  if (!iss.empty()) claims["iss"] = iss;
  if (!aud.empty()) claims["aud"] = aud;
  if (args.count("--room")) {
    if (args.at("--room").empty()) return Usage("--room needs a room name");
    claims["room"] = args.at("--room");
  }
  if (args.count("--sub")) claims["sub"] = args.at("--sub");

  auto token = tessera::control::SignJwt(*key, claims);
  if (!token.ok()) return Fail(token.status().message());
  std::printf("%s\n", token->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  static const char* const kOptions[] = {"--keys", "--role", "--room", "--sub",     "--ttl",
                                         "--kid",  "--iss",  "--aud",  "--new-key", "--alg"};
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    bool known = false;
    for (const char* o : kOptions) known = known || name == o;
    if (!known) return Usage("unknown argument \"" + name + "\"");
    if (i + 1 >= argc) return Usage(name + " needs a value");
    if (!args.emplace(name, argv[++i]).second) return Usage(name + " given twice");
  }
  const bool mint = args.count("--keys") != 0;
  const bool new_key = args.count("--new-key") != 0;
  if (mint == new_key) return Usage("give either --keys FILE (mint a token) or --new-key FILE");
  return new_key ? NewKey(args) : Mint(args);
}
