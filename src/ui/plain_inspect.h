// /inspect [N] and /stats [experts] in the plain chat (--plain, or no terminal): the same content
// as the full-screen view and notices, as text on `out`; what cannot be shown goes to `err`.
#pragma once

#include <cstdio>
#include <string>

#include "chat/chat_session.h"

namespace gptoss::tokenizer {
class Tokenizer;
}

namespace gptoss::ui {

// No argument: the last answer's tokens by layers (top-1 expert per cell); "N": token N's experts,
// weights, logit lens and sink share per layer. Throws gptoss::Error as Backend::lens does.
void plain_inspect(chat::Backend& backend, const tokenizer::Tokenizer& tokenizer, const std::string& arg,
                   std::FILE* out, std::FILE* err);

// The last answer's speeds and the session's expert usage ("experts": every count).
void plain_stats(const chat::ChatSession& session, const std::string& arg, std::FILE* out, std::FILE* err);

}  // namespace gptoss::ui
