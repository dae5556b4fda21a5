#include "tests/install/option_lists.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace mtkfs::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool is_option_name(const std::string& word) { return word.size() >= 2 && word[0] == '-' && word != "--"; }

// "\-" is roff's minus sign; man pages must use it in option names.
std::string unescape_minus(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '-') {
      out += '-';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Splits a request's arguments as roff does: blanks separate, double quotes group.
std::vector<std::string> request_arguments(const std::string& rest) {
  std::vector<std::string> args;
  std::string current;
  bool quoted = false, have = false;
  for (char c : rest) {
    if (c == '"') {
      quoted = !quoted;
      have = true;
    } else if ((c == ' ' || c == '\t') && !quoted) {
      if (have) args.push_back(current);
      current.clear();
      have = false;
    } else {
      current += c;
      have = true;
    }
  }
  if (have) args.push_back(current);
  return args;
}

// The bold stretches of one tag line, with font escapes removed.
std::vector<std::string> bold_parts(const std::string& line) {
  std::vector<std::string> parts;
  if (line.rfind(".B ", 0) == 0) {
    parts.push_back(line.substr(3));
  } else if (line.size() > 3 && line[0] == '.' && line[1] == 'B' && line[3] == ' ' &&
             (line[2] == 'I' || line[2] == 'R')) {
    // .BI / .BR alternate bold and the other font, starting with bold.
    const auto args = request_arguments(line.substr(4));
    for (std::size_t i = 0; i < args.size(); i += 2) parts.push_back(args[i]);
  }
  // Inline \fB...\fR (or \fI, \fP) anywhere, also inside the request arguments above.
  const std::string& source = line;
  bool bold = false;
  std::string current;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\\' && i + 2 < source.size() && source[i + 1] == 'f') {
      if (bold && !current.empty()) parts.push_back(current);
      current.clear();
      bold = source[i + 2] == 'B';
      i += 2;
    } else if (bold) {
      current += source[i];
    }
  }
  if (bold && !current.empty()) parts.push_back(current);
  return parts;
}

// Strips the font escapes a bold part may still carry and splits it into words.
std::vector<std::string> words_of(const std::string& part) {
  std::string clean;
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] == '\\' && i + 2 < part.size() && part[i + 1] == 'f') {
      // A font change ends the bold word: what follows is an argument.
      clean += ' ';
      ++i;
      ++i;
      continue;
    }
    clean += part[i];
  }
  std::vector<std::string> words;
  std::istringstream in(unescape_minus(clean));
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The bold words of a .TP paragraph's tag line: where man pages name options and -o keys.
std::vector<std::string> tag_words(const std::string& line) {
  std::vector<std::string> words;
  for (const auto& part : bold_parts(line))
    for (const auto& word : words_of(part)) words.push_back(word);
  return words;
}

}  // namespace

std::set<std::string> help_options(const std::string& help_text) {
  std::set<std::string> options;
  for (const auto& line : lines_of(help_text)) {
    if (line.rfind("  -", 0) != 0) continue;
    std::istringstream in(line);
    std::string first;
    in >> first;
    std::size_t start = 0;
    for (;;) {
      const auto comma = first.find(',', start);
      const std::string name =
          first.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (is_option_name(name)) options.insert(name);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return options;
}

std::set<std::string> help_mount_keys(const std::string& help_text) {
  std::set<std::string> keys;
  bool in_block = false;
  for (const auto& line : lines_of(help_text)) {
    if (line.rfind("-o options taken by mtkfs", 0) == 0) {
      in_block = true;
      continue;
    }
    if (!in_block) continue;
    if (line.rfind("  ", 0) != 0 || line.size() < 3 || line[2] == ' ') break;
    std::istringstream in(line);
    std::string first;
    in >> first;
    keys.insert(first.substr(0, first.find('=')));
  }
  return keys;
}

std::set<std::string> man_mount_keys(const std::string& roff_text) {
  std::set<std::string> keys;
  enum { before, after_tag, in_list } state = before;
  bool next_is_tag = false;
  for (const auto& line : lines_of(roff_text)) {
    if (state == before) {
      if (line.rfind(".BI \\-o ", 0) == 0) state = after_tag;
      continue;
    }
    if (state == after_tag) {
      if (line.rfind(".RS", 0) == 0) state = in_list;
      continue;
    }
    if (line.rfind(".RE", 0) == 0) break;
    if (line.rfind(".TP", 0) == 0) {
      next_is_tag = true;
      continue;
    }
    if (!next_is_tag) continue;
    next_is_tag = false;
    for (const auto& word : tag_words(line)) keys.insert(word.substr(0, word.find('=')));
  }
  return keys;
}

std::set<std::string> man_options(const std::string& roff_text) {
  std::set<std::string> options;
  bool in_options = false, next_is_tag = false;
  for (const auto& line : lines_of(roff_text)) {
    if (line.rfind(".SH", 0) == 0) {
      in_options = line.find("OPTIONS") != std::string::npos;
      next_is_tag = false;
      continue;
    }
    if (!in_options) continue;
    if (line.rfind(".TP", 0) == 0) {
      next_is_tag = true;
      continue;
    }
    if (!next_is_tag) continue;
    next_is_tag = false;
    for (const auto& word : tag_words(line)) {
      // ".BR \-h ", " \-\-help" leaves "-h" and ","; a trailing comma is punctuation.
      std::string name = word;
      while (!name.empty() && (name.back() == ',' || name.back() == '.')) name.pop_back();
      if (is_option_name(name)) options.insert(name);
    }
  }
  return options;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace mtkfs::testing
