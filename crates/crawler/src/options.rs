//! The menu options an IVR prompt offers, found in its transcript.
//!
//! Transcripts come from speech-to-text: mostly lower case without
//! punctuation, with recognition errors such as "won" for "one", "to" for
//! "two" or "for" for "four". A menu option is a *trigger* — a verb such as
//! "press" or "dial" followed by a key ("press one", "dial the pound key") —
//! and a *label*, said either after the key ("press one for sales") or
//! before the trigger ("for support press 2", "to repeat this menu press
//! star").
//!
//! The word right after the verb is always read as the key, so "press for
//! for sms" is key 4 for "sms" and "press to for support" is key 2 for
//! "support". Elsewhere "for", "four" and "to" introduce a label ("four
//! sales press one" is "sales" on key 1).
//!
//! Which side a label sits on is decided for the whole transcript when the
//! words between two triggers carry no sentence boundary: labels come after
//! their keys unless the prompt opens with a label before its first trigger
//! and nothing labelled follows its last key.

use serde::Serialize;

/// One option of an IVR menu: the key to press and what it leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuOption {
    /// The key: `'0'..='9'`, `'*'` or `'#'`.
    pub key: char,
    /// What the key leads to, e.g. "sales"; empty when the prompt names a key
    /// without saying what it does.
    pub label: String,
    /// The words the option came from, e.g. "press one for sales".
    pub phrase: String,
}

/// The options a prompt offers, in the order they are said. A key said twice
/// keeps its first label; a prompt without options gives an empty list.
pub fn extract_options(transcript: &str) -> Vec<MenuOption> {
    let tokens = tokenize(transcript);
    let triggers = find_triggers(&tokens);
    if triggers.is_empty() {
        return Vec::new();
    }
    let style = label_style(&tokens, &triggers);
    let mut options: Vec<MenuOption> = Vec::new();
    for index in 0..triggers.len() {
        let option = build_option(&tokens, &triggers, index, style);
        if !options.iter().any(|known| known.key == option.key) {
            options.push(option);
        }
    }
    options
}

/// A word of the transcript, the end of a sentence, or a pause (a comma).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Boundary,
    Pause,
}

impl Token {
    fn word(&self) -> Option<&str> {
        match self {
            Token::Word(text) => Some(text),
            Token::Boundary | Token::Pause => None,
        }
    }

    fn is(&self, candidates: &[&str]) -> bool {
        self.word().is_some_and(|text| candidates.contains(&text))
    }
}

/// Lower-cased words; `*` and `#` are words of their own; `.`, `!`, `?` and
/// `;` end a sentence; `,` and `:` are pauses; other punctuation separates
/// words.
fn tokenize(transcript: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for ch in transcript.chars() {
        if ch.is_alphanumeric() || ch == '\'' {
            current.extend(ch.to_lowercase());
            continue;
        }
        flush_word(&mut current, &mut tokens);
        match ch {
            '*' | '#' => tokens.push(Token::Word(ch.to_string())),
            '.' | '!' | '?' | ';' => tokens.push(Token::Boundary),
            ',' | ':' => tokens.push(Token::Pause),
            _ => {}
        }
    }
    flush_word(&mut current, &mut tokens);
    tokens
}

fn flush_word(current: &mut String, tokens: &mut Vec<Token>) {
    let word = current.trim_matches('\'');
    if !word.is_empty() {
        tokens.push(Token::Word(word.to_string()));
    }
    current.clear();
}

/// Verbs that put a key right after them.
const TRIGGER_VERBS: &[&str] = &["press", "dial", "select", "push", "hit", "choose", "touch", "enter", "pressed"];

/// Words between a verb and its key that say nothing ("press the pound key",
/// "press number one").
const KEY_PREFIXES: &[&str] = &["the", "number", "key"];

/// Words after a key that belong to it ("the pound key", "the star button").
const KEY_SUFFIXES: &[&str] = &["key", "sign", "button", "symbol"];

/// Words that introduce a label; "four" and "4" are frequent recognitions of
/// "for", "too" of "to".
const LABEL_INTRODUCERS: &[&str] = &["for", "four", "fore", "4", "to", "too"];

/// Words after which a "to" is a preposition ("to a representative"), not the
/// start of what the caller wants to do.
const DETERMINERS: &[&str] = &["a", "an", "the", "your", "our", "my", "this", "that", "one"];

/// Words that end a label said after its key.
const FORWARD_LABEL_STOPS: &[&str] = &["if", "please", "otherwise", "or"];

/// Words trimmed from the end of a label ("sales and", "billing you can").
const TRAILING_FILLERS: &[&str] = &[
    "please", "and", "or", "say", "now", "then", "just", "simply", "you", "can", "may", "should", "will", "need", "to",
    "kindly", "must", "would", "like", "also", "so", "well",
];

/// Words trimmed from the start of a label ("the billing department").
const LEADING_FILLERS: &[&str] = &["the", "a", "an", "our", "your", "please", "you", "are", "you're", "were"];

/// Longest label kept, in words.
const MAX_LABEL_WORDS: usize = 8;

/// A key said after a trigger verb: the position of the verb, the position
/// just past the key (and its suffix), and the key.
#[derive(Debug, Clone, Copy)]
struct Trigger {
    verb: usize,
    end: usize,
    key: char,
}

fn find_triggers(tokens: &[Token]) -> Vec<Trigger> {
    (0..tokens.len()).filter_map(|verb| trigger_at(tokens, verb)).collect()
}

fn trigger_at(tokens: &[Token], verb: usize) -> Option<Trigger> {
    if !tokens.get(verb)?.is(TRIGGER_VERBS) {
        return None;
    }
    let mut key_at = verb + 1;
    while tokens.get(key_at)?.is(KEY_PREFIXES) && starts_key(tokens, key_at + 1) {
        key_at += 1;
    }
    let (key, mut end) =
        if is_number_sign(tokens, key_at) { ('#', key_at + 2) } else { (key_of(tokens.get(key_at)?)?, key_at + 1) };
    if is_longer_number(tokens, end) {
        return None;
    }
    while tokens.get(end).is_some_and(|t| t.is(KEY_SUFFIXES)) {
        end += 1;
    }
    Some(Trigger { verb, end, key })
}

fn starts_key(tokens: &[Token], at: usize) -> bool {
    tokens.get(at).and_then(key_of).is_some() || is_number_sign(tokens, at)
}

/// "number sign", the name of `#` on some prompts.
fn is_number_sign(tokens: &[Token], at: usize) -> bool {
    tokens.get(at).is_some_and(|t| t.is(&["number"])) && tokens.get(at + 1).is_some_and(|t| t.is(&["sign"]))
}

/// True when a key is followed by more digits, as in "dial nine one one":
/// a number to dial, not a menu key. A single digit after the key may be a
/// mis-heard "for" ("press 1 4 sales").
fn is_longer_number(tokens: &[Token], after_key: usize) -> bool {
    let is_digit = |at: usize| tokens.get(at).is_some_and(|t| t.is(DIGIT_WORDS));
    let ends_there = |at: usize| tokens.get(at).is_none_or(|t| *t == Token::Boundary);
    is_digit(after_key) && (is_digit(after_key + 1) || ends_there(after_key + 1))
}

/// Digits as numerals or words, without their homophones.
const DIGIT_WORDS: &[&str] = &[
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "zero", "one", "two", "three", "four", "five", "six", "seven",
    "eight", "nine",
];

/// The key a word in key position names, homophones included.
fn key_of(token: &Token) -> Option<char> {
    let key = match token.word()? {
        "0" | "zero" | "oh" | "o" => '0',
        "1" | "one" | "won" => '1',
        "2" | "two" | "to" | "too" => '2',
        "3" | "three" | "tree" => '3',
        "4" | "four" | "for" | "fore" => '4',
        "5" | "five" => '5',
        "6" | "six" | "sicks" => '6',
        "7" | "seven" => '7',
        "8" | "eight" | "ate" => '8',
        "9" | "nine" | "niner" => '9',
        "*" | "star" | "asterisk" => '*',
        "#" | "pound" | "hash" | "hashtag" | "octothorpe" => '#',
        _ => return None,
    };
    Some(key)
}

/// On which side of its trigger a label is said, when nothing else tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelStyle {
    /// "press one for sales"
    AfterKey,
    /// "for sales press one"
    BeforeTrigger,
}

/// Labels come before their triggers when the words ahead of the first
/// trigger introduce a label and the words after the last key do not.
fn label_style(tokens: &[Token], triggers: &[Trigger]) -> LabelStyle {
    let (Some(first), Some(last)) = (triggers.first(), triggers.last()) else {
        return LabelStyle::AfterKey;
    };
    let prelude = last_sentence(&tokens[..first.verb]);
    let opens_with_label = prelude.iter().any(|t| t.is(LABEL_INTRODUCERS) || t.is(&["if"]));
    let tail = first_sentence(&tokens[last.end..]);
    let ends_with_label = first_word(tail).is_some_and(|t| t.is(LABEL_INTRODUCERS));
    if opens_with_label && !ends_with_label { LabelStyle::BeforeTrigger } else { LabelStyle::AfterKey }
}

/// The first word, past any pauses.
fn first_word(tokens: &[Token]) -> Option<&Token> {
    tokens.iter().find(|t| t.word().is_some())
}

/// Position of the first word that may introduce a label, past pauses and
/// words such as "now" ("press one now for sales").
fn label_start(tokens: &[Token]) -> Option<usize> {
    tokens.iter().position(|t| t.word().is_some_and(|w| !SKIPPED_BEFORE_INTRODUCER.contains(&w)))
}

/// Words said between a key and the label after it.
const SKIPPED_BEFORE_INTRODUCER: &[&str] = &["now", "please", "just", "simply"];

fn last_sentence(tokens: &[Token]) -> &[Token] {
    match tokens.iter().rposition(|t| *t == Token::Boundary) {
        Some(boundary) => &tokens[boundary + 1..],
        None => tokens,
    }
}

fn first_sentence(tokens: &[Token]) -> &[Token] {
    match tokens.iter().position(|t| *t == Token::Boundary) {
        Some(boundary) => &tokens[..boundary],
        None => tokens,
    }
}

/// The words between two triggers, split into the part that labels the key
/// before them and the part that labels the trigger after them.
#[derive(Debug, Clone, Copy)]
struct GapSplit {
    /// Token range labelling the previous key.
    forward: (usize, usize),
    /// Token range labelling the next trigger.
    backward: (usize, usize),
}

/// Where a gap between triggers lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GapPlace {
    /// Before the first trigger: it can only label that trigger.
    BeforeFirst,
    /// Between two triggers.
    Between,
    /// After the last key.
    AfterLast,
}

fn split_gap(tokens: &[Token], (start, end): (usize, usize), place: GapPlace, style: LabelStyle) -> GapSplit {
    let gap = &tokens[start..end];
    let first_boundary = gap.iter().position(|t| *t == Token::Boundary).map(|i| start + i);
    let last_boundary = gap.iter().rposition(|t| *t == Token::Boundary).map(|i| start + i);
    if place == GapPlace::BeforeFirst {
        let from = last_boundary.map_or(start, |b| b + 1);
        return GapSplit { forward: (start, start), backward: (from, end) };
    }
    if let (Some(first_b), Some(last_b)) = (first_boundary, last_boundary) {
        return GapSplit { forward: (start, first_b), backward: (last_b + 1, end) };
    }
    if let Some(pause) = pause_between_labels(gap) {
        return GapSplit { forward: (start, start + pause), backward: (start + pause + 1, end) };
    }
    let is_last = place == GapPlace::AfterLast;
    let opener_at = label_start(gap).unwrap_or(0);
    let opener = gap.get(opener_at);
    let opens_with_label = opener.is_some_and(|t| t.is(LABEL_INTRODUCERS));
    if is_last && style == LabelStyle::AfterKey && opener.is_some_and(|t| t.is(&["if"])) {
        return GapSplit { forward: (start, end), backward: (end, end) };
    }
    if !opens_with_label || (style == LabelStyle::BeforeTrigger && !is_last) {
        return GapSplit { forward: (start, start), backward: (start, end) };
    }
    let label_from = opener_at + 1;
    let stop = gap[label_from..]
        .iter()
        .position(|t| t.is(FORWARD_LABEL_STOPS) || t.is(TRIGGER_VERBS))
        .map(|i| start + label_from + i);
    match stop {
        Some(stop) => GapSplit { forward: (start, stop), backward: (stop, end) },
        None => GapSplit { forward: (start, end), backward: (end, end) },
    }
}

/// A pause with a label on either side ("for sales, for support"), when
/// the words before it label the previous key and those after it the next.
fn pause_between_labels(gap: &[Token]) -> Option<usize> {
    if !first_word(gap)?.is(LABEL_INTRODUCERS) {
        return None;
    }
    gap.iter()
        .enumerate()
        .skip(1)
        .filter(|(_, t)| **t == Token::Pause)
        .map(|(at, _)| at)
        .find(|&at| first_word(&gap[at + 1..]).is_some_and(|t| t.is(LABEL_INTRODUCERS) || t.is(&["if"])))
}

fn build_option(tokens: &[Token], triggers: &[Trigger], index: usize, style: LabelStyle) -> MenuOption {
    let trigger = triggers[index];
    let before = match index.checked_sub(1).map(|previous| triggers[previous]) {
        None => split_gap(tokens, (0, trigger.verb), GapPlace::BeforeFirst, style),
        Some(previous) => split_gap(tokens, (previous.end, trigger.verb), GapPlace::Between, style),
    };
    let after = match triggers.get(index + 1) {
        None => split_gap(tokens, (trigger.end, tokens.len()), GapPlace::AfterLast, style),
        Some(next) => split_gap(tokens, (trigger.end, next.verb), GapPlace::Between, style),
    };

    if let Some(label) = forward_label(&tokens[after.forward.0..after.forward.1]) {
        return MenuOption { key: trigger.key, label, phrase: phrase(tokens, trigger.verb, after.forward.1) };
    }
    if let Some((intro, label)) = backward_label(&tokens[before.backward.0..before.backward.1]) {
        let from = before.backward.0 + intro;
        return MenuOption { key: trigger.key, label, phrase: phrase(tokens, from, trigger.end) };
    }
    MenuOption { key: trigger.key, label: String::new(), phrase: phrase(tokens, trigger.verb, trigger.end) }
}

/// "for sales" → "sales"; `None` unless the words open with an introducer
/// and leave a label once trimmed.
fn forward_label(words: &[Token]) -> Option<String> {
    let intro = label_start(words)?;
    if !words[intro].is(LABEL_INTRODUCERS) && !words[intro].is(&["if"]) {
        return None;
    }
    trimmed_label(&words[intro + 1..])
}

/// The label said before a trigger, with the position of the word that
/// introduces it: the last "for" or "to <verb>", or an "if" clause, after
/// any "otherwise" (which closes what came before).
fn backward_label(words: &[Token]) -> Option<(usize, String)> {
    let from = words.iter().rposition(|t| t.is(&["otherwise"])).map_or(0, |at| at + 1);
    let intro = (from..words.len()).rev().find(|&i| introduces_backward_label(words, i))?;
    let label = trimmed_label(&words[intro + 1..])?;
    Some((intro, label))
}

fn introduces_backward_label(words: &[Token], at: usize) -> bool {
    let token = &words[at];
    if token.is(&["to", "too"]) {
        return !first_word(&words[at + 1..]).is_some_and(|next| next.is(DETERMINERS));
    }
    token.is(LABEL_INTRODUCERS) || token.is(&["if"])
}

fn trimmed_label(words: &[Token]) -> Option<String> {
    let mut words: Vec<&str> = words.iter().filter_map(Token::word).collect();
    while words.first().is_some_and(|w| LEADING_FILLERS.contains(w)) {
        words.remove(0);
    }
    while words.last().is_some_and(|w| TRAILING_FILLERS.contains(w)) {
        words.pop();
    }
    words.truncate(MAX_LABEL_WORDS);
    while words.last().is_some_and(|w| TRAILING_FILLERS.contains(w)) {
        words.pop();
    }
    if words.is_empty() { None } else { Some(words.join(" ")) }
}

fn phrase(tokens: &[Token], from: usize, to: usize) -> String {
    let words: Vec<&str> = tokens[from..to].iter().filter_map(Token::word).collect();
    words.join(" ")
}
