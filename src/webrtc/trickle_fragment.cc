#include <tessera/webrtc/trickle_fragment.h>

#include <algorithm>

namespace tessera::webrtc {
namespace {

// RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/".
bool IceChars(std::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

// Calls f(line) for each line, without its CR/LF.
template <typename F>
void ForEachLine(std::string_view text, F&& f) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

bool Take(std::string_view& line, std::string_view prefix) {
  if (line.substr(0, prefix.size()) != prefix) return false;
  line.remove_prefix(prefix.size());
  return true;
}

}  // namespace

StatusOr<TrickleFragment> ParseTrickleFragment(std::string_view text) {
  if (text.size() > kMaxTrickleFragmentBytes) {
    return InvalidArgumentError("the fragment is larger than " +
                                std::to_string(kMaxTrickleFragmentBytes) + " bytes");
  }
  TrickleFragment out;
  std::optional<std::string> ufrag, pwd;
  Status error = Status::Ok();
  ForEachLine(text, [&](std::string_view line) {
    if (!error.ok()) return;
    if (Take(line, "a=ice-ufrag:")) {
      if (ufrag && *ufrag != line) {
        error = InvalidArgumentError("two different a=ice-ufrag in one fragment");
      } else if (!IceChars(line, 4, 256)) {
        error = InvalidArgumentError("a=ice-ufrag is not 4 to 256 ice-chars");
      } else {
        ufrag = std::string(line);
      }
    } else if (Take(line, "a=ice-pwd:")) {
      if (pwd && *pwd != line) {
        error = InvalidArgumentError("two different a=ice-pwd in one fragment");
      } else if (!IceChars(line, 22, 256)) {
        error = InvalidArgumentError("a=ice-pwd is not 22 to 256 ice-chars");
      } else {
        pwd = std::string(line);
      }
    } else if (Take(line, "a=mid:")) {
      if (line.empty() || line.size() > 32) {
        error = InvalidArgumentError("a=mid is empty or longer than 32 characters");
      } else {
        out.mids.emplace_back(line);
      }
    } else if (Take(line, "a=candidate:")) {
      if (out.candidates.size() >= kMaxTrickleCandidates) {
        error = InvalidArgumentError("more than " + std::to_string(kMaxTrickleCandidates) +
                                     " candidates in one fragment");
      } else if (line.empty()) {
        error = InvalidArgumentError("an empty a=candidate");
      } else {
        out.candidates.emplace_back(line);
      }
    } else if (line == "a=end-of-candidates") {
      out.end_of_candidates = true;
    }
  });
  if (!error.ok()) return error;
  if (ufrag.has_value() != pwd.has_value()) {
    return InvalidArgumentError("a fragment gives a=ice-ufrag and a=ice-pwd together");
  }
  if (ufrag) out.ice = IceCredentials{std::move(*ufrag), std::move(*pwd)};
  return out;
}

std::string RestartAnswerFragment(std::string_view answer_sdp, const IceCredentials& local) {
  std::string mline, mid;
  std::vector<std::string> candidates;
  bool in_first = false, done = false;
  ForEachLine(answer_sdp, [&](std::string_view line) {
    if (done) return;
    if (line.substr(0, 2) == "m=") {
      if (in_first) {
        done = true;
        return;
      }
      in_first = true;
      mline = std::string(line);
      return;
    }
    if (!in_first) return;
    std::string_view rest = line;
    if (Take(rest, "a=mid:")) {
      mid = std::string(rest);
    } else if (line.substr(0, 12) == "a=candidate:") {
      candidates.emplace_back(line);
    }
  });
  std::string out =
      "a=ice-lite\r\na=ice-ufrag:" + local.ufrag + "\r\na=ice-pwd:" + local.password + "\r\n";
  if (!mline.empty()) {
    out += mline + "\r\n";
    if (!mid.empty()) out += "a=mid:" + mid + "\r\n";
    for (const std::string& c : candidates) out += c + "\r\n";
    out += "a=end-of-candidates\r\n";
  }
  return out;
}

}  // namespace tessera::webrtc
