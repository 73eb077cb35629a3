// tessera-audit: checks an audit log (audit.path) and makes its checkpoint keys.
//
//   tessera-audit verify FILE [--public-key PEM | --hmac-key FILE]
//   tessera-audit keygen --private OUT.pem --public OUT.pub.pem
//
// Exit status: 0 sound (or keys written), 1 a bad line (or a file or key that cannot be read,
// or keys not written), 2 bad usage.
#include <tessera/audit/keys.h>
#include <tessera/audit/verify.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr char kUsage[] =
    "usage: tessera-audit verify FILE [--public-key PEM | --hmac-key FILE] [--allow-unsealed]\n"
    "       tessera-audit keygen --private OUT.pem --public OUT.pub.pem\n"
    "\n"
    "  verify FILE        check every line's hash, its link to the line before, seq running\n"
    "                     from 1, and (with a key) every checkpoint's signature. Prints a\n"
    "                     summary and exits 0, or names the first bad line and exits 1:\n"
    "                       line 42 (seq 42): changed: its hash does not match its content\n"
    "  --public-key PEM   the Ed25519 public key of the node's audit.key_file\n"
    "  --hmac-key FILE    the node's HMAC key file (audit.key_file), when it signs with HMAC\n"
    "                     (without either, checkpoints are not checked: anyone can rewrite a\n"
    "                     chain of hashes)\n"
    "  keygen             write a new Ed25519 key pair: the private key (mode 0600) for\n"
    "                     audit.key_file, the public key for verify; never overwrites a file\n"
    "  --help             this text\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "tessera-audit: %s\n%s", why.c_str(), kUsage);
  return 2;
}

int Verify(const std::vector<std::string>& args) {
  std::string file, public_key, hmac_key;
  bool allow_unsealed = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--allow-unsealed") {
      allow_unsealed = true;
    } else if ((a == "--public-key" || a == "--hmac-key") && i + 1 < args.size()) {
      (a == "--public-key" ? public_key : hmac_key) = args[++i];
    } else if (a == "--public-key" || a == "--hmac-key") {
      return Usage(a + " needs a file");
    } else if (!a.empty() && a[0] == '-') {
      return Usage("unknown option '" + a + "'");
    } else if (file.empty()) {
      file = a;
    } else {
      return Usage("verify takes one file; '" + a + "' is a second");
    }
  }
  if (file.empty()) return Usage("verify needs the audit log's file");
  if (!public_key.empty() && !hmac_key.empty()) {
    return Usage("give --public-key or --hmac-key, not both");
  }
  std::unique_ptr<tessera::audit::CheckpointVerifier> key;
  if (!public_key.empty() || !hmac_key.empty()) {
    auto loaded = public_key.empty()
                      ? tessera::audit::CheckpointVerifier::LoadHmacKey(hmac_key)
                      : tessera::audit::CheckpointVerifier::LoadPublicKey(public_key);
    if (!loaded.ok()) {
      std::fprintf(stderr, "tessera-audit: %s\n", loaded.status().message().c_str());
      return 1;
    }
    key = std::move(loaded).value();
  }
  auto result = tessera::audit::VerifyFile(file, key.get());
  if (!result.ok()) {
    std::fprintf(stderr, "tessera-audit: %s\n", result.status().message().c_str());
    return 1;
  }
  if (!result->ok()) {
    std::printf("%s: %s\n", file.c_str(), result->bad->ToString().c_str());
    return 1;
  }
  const tessera::audit::VerifySummary& s = result->summary;
  std::printf("%s: %s\n", file.c_str(), s.ToString().c_str());
  // With a key, what no signature seals is not proven: anyone can write a sound chain of hashes.
  // A node that stopped cleanly ends its log with a checkpoint; a running node's log (or one cut
  // after a crash) has a tail that --allow-unsealed accepts knowingly.
  if (key && s.lines > 0 && (s.checkpoints == 0 || s.unsealed_lines > 0) && !allow_unsealed) {
    std::printf(
        "%s: NOT SEALED: the last %llu line(s) carry no signature (a running node's log, "
        "or a tail written without the key); --allow-unsealed accepts them\n",
        file.c_str(), static_cast<unsigned long long>(s.unsealed_lines));
    return 3;
  }
  return 0;
}

int Keygen(const std::vector<std::string>& args) {
  std::string private_path, public_path;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--private" || a == "--public") && i + 1 < args.size()) {
      (a == "--private" ? private_path : public_path) = args[++i];
    } else {
      return Usage("unknown keygen argument '" + a + "'");
    }
  }
  if (private_path.empty() || public_path.empty()) {
    return Usage("keygen needs --private OUT.pem and --public OUT.pub.pem");
  }
  if (const tessera::Status s = tessera::audit::WriteEd25519KeyPair(private_path, public_path);
      !s.ok()) {
    std::fprintf(stderr, "tessera-audit: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("wrote %s (private, mode 0600: audit.key_file) and %s (public: for verify)\n",
              private_path.c_str(), public_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage("a command is needed");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "verify") return Verify(args);
  if (command == "keygen") return Keygen(args);
  return Usage("unknown command '" + command + "'");
}
