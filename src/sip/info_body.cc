#include <tessera/sip/info_body.h>

#include <algorithm>
#include <array>

#include "sip/text.h"

namespace tessera::sip {

namespace {

constexpr size_t kMaxXmlDepth = 8;
constexpr std::array<std::string_view, 4> kFastUpdatePath = {"media_control", "vc_primitive",
                                                             "to_encoder", "picture_fast_update"};

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimXmlSpace(std::string_view s) {
  while (!s.empty() && IsXmlSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsXmlSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The position just past the first `terminator` at or after `from`, or npos.
size_t SkipPast(std::string_view s, size_t from, std::string_view terminator) {
  const size_t at = s.find(terminator, from);
  return at == std::string_view::npos ? at : at + terminator.size();
}

// One DTMF character from its text form; `allow_two_digit` admits "10" ('*') and "11" ('#').
std::optional<char> SignalChar(std::string_view s, bool allow_two_digit) {
  if (s.size() == 1) {
    const char c = s[0];
    if (text::IsDigit(c) || c == '*' || c == '#') return c;
    if (c >= 'A' && c <= 'D') return c;
    if (c >= 'a' && c <= 'd') return static_cast<char>(c - 'a' + 'A');
    return std::nullopt;
  }
  if (allow_two_digit && s == "10") return '*';
  if (allow_two_digit && s == "11") return '#';
  return std::nullopt;
}

}  // namespace

bool IsPictureFastUpdate(std::string_view xml) {
  if (xml.size() > kMaxMediaControlBodyBytes) return false;
  std::array<std::string_view, kMaxXmlDepth> open{};  // names of the open elements, root first
  size_t depth = 0;
  size_t pos = 0;
  while (true) {
    pos = xml.find('<', pos);
    if (pos == std::string_view::npos) return false;
    const std::string_view rest = xml.substr(pos);
    // Declarations, processing instructions, comments and CDATA hold no elements.
    if (rest.starts_with("<?")) {
      pos = SkipPast(xml, pos + 2, "?>");
    } else if (rest.starts_with("<!--")) {
      pos = SkipPast(xml, pos + 4, "-->");
    } else if (rest.starts_with("<![CDATA[")) {
      pos = SkipPast(xml, pos + 9, "]]>");
    } else if (rest.starts_with("<!")) {
      pos = SkipPast(xml, pos + 2, ">");
    } else {
      const bool closing = rest.starts_with("</");
      const size_t name_start = pos + (closing ? 2 : 1);
      size_t name_end = name_start;
      while (name_end < xml.size() && !IsXmlSpace(xml[name_end]) && xml[name_end] != '/' &&
             xml[name_end] != '>' && xml[name_end] != '<') {
        ++name_end;
      }
      const std::string_view name = xml.substr(name_start, name_end - name_start);
      if (name.empty()) return false;
      // Find the tag's '>' outside quoted attribute values; remember the last other character
      // to tell <a/> from <a>.
      char quote = 0;
      char last = 0;
      size_t i = name_end;
      for (; i < xml.size(); ++i) {
        const char c = xml[i];
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '>') {
          break;
        } else if (c == '<') {
          return false;
        } else if (!IsXmlSpace(c)) {
          if (c == '"' || c == '\'') quote = c;
          last = c;
        }
      }
      if (i == xml.size()) return false;
      pos = i + 1;
      if (closing) {
        if (last != 0 || depth == 0 || open[depth - 1] != name) return false;
        --depth;
        continue;
      }
      if (depth + 1 == kFastUpdatePath.size() && name == kFastUpdatePath[depth] &&
          std::equal(open.begin(), open.begin() + depth, kFastUpdatePath.begin())) {
        return true;
      }
      if (last == '/') continue;  // self-closing: opens and closes
      if (depth == kMaxXmlDepth) return false;
      open[depth++] = name;
      continue;
    }
    if (pos == std::string_view::npos) return false;
  }
}

std::string PictureFastUpdateBody() {
  return "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\r\n"
         "<media_control>\r\n"
         "  <vc_primitive>\r\n"
         "    <to_encoder>\r\n"
         "      <picture_fast_update/>\r\n"
         "    </to_encoder>\r\n"
         "  </vc_primitive>\r\n"
         "</media_control>\r\n";
}

std::optional<char> ParseDtmfRelay(std::string_view body) {
  if (body.size() > kMaxDtmfBodyBytes) return std::nullopt;
  while (!body.empty()) {
    const size_t eol = body.find_first_of("\r\n");
    const std::string_view line = body.substr(0, eol);
    body.remove_prefix(eol == std::string_view::npos ? body.size() : eol + 1);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (!text::EqualsIgnoreCase(text::TrimWs(line.substr(0, eq)), "signal")) continue;
    return SignalChar(text::TrimWs(line.substr(eq + 1)), /*allow_two_digit=*/true);
  }
  return std::nullopt;
}

std::optional<char> ParseDtmfBody(std::string_view body) {
  if (body.size() > kMaxDtmfBodyBytes) return std::nullopt;
  return SignalChar(TrimXmlSpace(body), /*allow_two_digit=*/false);
}

}  // namespace tessera::sip
