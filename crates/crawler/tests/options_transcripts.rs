//! Menu options read from transcripts as speech-to-text writes them: lower
//! case, rarely punctuated, with recognition errors.

use voxide_crawler::options::{MenuOption, extract_options};

/// The options of `transcript` as (key, label) pairs.
fn options(transcript: &str) -> Vec<(char, String)> {
    extract_options(transcript).into_iter().map(|option| (option.key, option.label)).collect()
}

fn expect(transcript: &str, expected: &[(char, &str)]) {
    let expected: Vec<(char, String)> = expected.iter().map(|(key, label)| (*key, label.to_string())).collect();
    assert_eq!(options(transcript), expected, "{transcript}");
}

// Several options in one prompt.

#[test]
fn software_company_menu_after_a_greeting() {
    expect(
        "hello welcome to d p software solution press one for sales press 2 for support press 3 for operator",
        &[('1', "sales"), ('2', "support"), ('3', "operator")],
    );
}

#[test]
fn misheard_four_between_press_and_for() {
    expect(
        "thanks for contact sales department please press 3 to voice press for for sms and press 5 for facts",
        &[('3', "voice"), ('4', "sms"), ('5', "facts")],
    );
}

#[test]
fn labels_before_their_keys_without_punctuation() {
    expect(
        "for sales press 1 for support press 2 for billing press 3",
        &[('1', "sales"), ('2', "support"), ('3', "billing")],
    );
}

#[test]
fn labels_before_their_keys_after_a_greeting() {
    expect(
        "thank you for calling acme bank for account balances press 1 for recent transactions press 2",
        &[('1', "account balances"), ('2', "recent transactions")],
    );
}

#[test]
fn punctuated_capitalised_transcript() {
    expect("Press 1 for Sales. Press 2 for Support.", &[('1', "sales"), ('2', "support")]);
}

#[test]
fn punctuated_labels_before_keys_with_a_repeat_option() {
    expect(
        "For sales, press 1. For support, press 2. To repeat these options, press star.",
        &[('1', "sales"), ('2', "support"), ('*', "repeat these options")],
    );
}

#[test]
fn sentence_boundaries_separate_the_two_label_positions() {
    expect("Press 1 for sales. For support press 2.", &[('1', "sales"), ('2', "support")]);
}

#[test]
fn options_joined_by_and() {
    expect("press one for sales and press two for support", &[('1', "sales"), ('2', "support")]);
}

#[test]
fn options_joined_by_or() {
    expect("press 1 for sales or press 2 for support", &[('1', "sales"), ('2', "support")]);
}

#[test]
fn a_key_said_twice_keeps_its_first_label() {
    expect("press 1 for sales press 1 for support press 2 for billing", &[('1', "sales"), ('2', "billing")]);
}

#[test]
fn an_if_clause_after_a_label() {
    expect("press 1 for sales if you are an existing customer press 2", &[('1', "sales"), ('2', "existing customer")]);
}

#[test]
fn a_full_bank_menu() {
    expect(
        "welcome to first national bank press 1 for account balances press 2 for recent transactions \
         press 3 to report a lost card press 0 to speak to a representative press 9 to hear these options again",
        &[
            ('1', "account balances"),
            ('2', "recent transactions"),
            ('3', "report a lost card"),
            ('0', "speak to a representative"),
            ('9', "hear these options again"),
        ],
    );
}

#[test]
fn a_menu_with_star_and_pound() {
    expect(
        "press 1 for new orders press 2 for order status press star to repeat press pound to return to the main menu",
        &[('1', "new orders"), ('2', "order status"), ('*', "repeat"), ('#', "return to the main menu")],
    );
}

// Where the label sits.

#[test]
fn press_one_for_sales() {
    expect("press one for sales", &[('1', "sales")]);
}

#[test]
fn for_support_press_two() {
    expect("for support press 2", &[('2', "support")]);
}

#[test]
fn to_reach_an_operator_press_zero() {
    expect("to reach an operator, press 0", &[('0', "reach an operator")]);
}

#[test]
fn if_you_are_a_new_customer() {
    expect("if you are a new customer press 1", &[('1', "new customer")]);
}

#[test]
fn if_you_are_calling_about_an_order() {
    expect("if you are calling about an order press 1", &[('1', "calling about an order")]);
}

#[test]
fn for_billing_dial_three() {
    expect("for billing dial 3", &[('3', "billing")]);
}

#[test]
fn select_four_for_account_balance() {
    expect("select 4 for account balance", &[('4', "account balance")]);
}

#[test]
fn say_or_press_five() {
    expect("for spanish say or press 5", &[('5', "spanish")]);
}

#[test]
fn please_press() {
    expect("please press 3 for billing", &[('3', "billing")]);
}

#[test]
fn you_can_press() {
    expect("for technical support you can press 6", &[('6', "technical support")]);
}

#[test]
fn a_label_after_a_greeting_with_to() {
    expect("welcome to acme corporation to repeat this menu press star", &[('*', "repeat this menu")]);
}

#[test]
fn to_speak_to_a_representative_before_the_key() {
    expect("to speak to a representative press 0", &[('0', "speak to a representative")]);
}

#[test]
fn to_speak_to_a_representative_after_the_key() {
    expect("press 0 to speak to a representative", &[('0', "speak to a representative")]);
}

#[test]
fn a_dial_by_extension_sentence_is_not_an_option() {
    expect("if you know your party's extension you may dial it at any time for sales press 1", &[('1', "sales")]);
}

#[test]
fn leading_articles_are_dropped() {
    expect("dial 6 for the fax line", &[('6', "fax line")]);
}

#[test]
fn push_and_hit() {
    expect(
        "push 2 for the accounts department hit 5 to leave a message",
        &[('2', "accounts department"), ('5', "leave a message")],
    );
}

#[test]
fn long_labels_are_cut_to_eight_words() {
    expect(
        "press 0 to speak with one of our friendly customer service representatives today",
        &[('0', "speak with one of our friendly customer service")],
    );
}

// Star and pound.

#[test]
fn press_star_to_repeat() {
    expect("press star to repeat", &[('*', "repeat")]);
}

#[test]
fn to_repeat_this_menu_press_star() {
    expect("to repeat this menu press star", &[('*', "repeat this menu")]);
}

#[test]
fn the_star_key() {
    expect("press the star key to go back", &[('*', "go back")]);
}

#[test]
fn the_pound_key() {
    expect("to end your call press the pound key", &[('#', "end your call")]);
}

#[test]
fn hash_for_more_options() {
    expect("press hash for more options", &[('#', "more options")]);
}

#[test]
fn number_sign_is_pound() {
    expect("press the number sign to confirm", &[('#', "confirm")]);
}

#[test]
fn symbols_as_keys() {
    expect("press * to repeat or press # to finish", &[('*', "repeat"), ('#', "finish")]);
}

#[test]
fn a_key_without_a_label() {
    expect("press the pound key", &[('#', "")]);
}

// Zero and homophones in key position.

#[test]
fn press_zero_for_the_operator() {
    expect("press zero for the operator", &[('0', "operator")]);
}

#[test]
fn oh_for_zero() {
    expect("press oh for an operator", &[('0', "operator")]);
}

#[test]
fn won_for_one() {
    expect("press won for sales", &[('1', "sales")]);
}

#[test]
fn to_for_two() {
    expect("press to for support", &[('2', "support")]);
}

#[test]
fn too_for_two_and_as_a_label_introducer() {
    expect("press too for support press 3 too repeat", &[('2', "support"), ('3', "repeat")]);
}

#[test]
fn tree_for_three() {
    expect("press tree for technical support", &[('3', "technical support")]);
}

#[test]
fn for_for_four() {
    expect("press for for sms", &[('4', "sms")]);
}

#[test]
fn four_for_the_label_introducer() {
    expect("four sales press one", &[('1', "sales")]);
}

#[test]
fn numeral_four_for_the_label_introducer() {
    expect("press 1 4 sales press 2 4 support", &[('1', "sales"), ('2', "support")]);
}

#[test]
fn ate_for_eight() {
    expect("press ate for the company directory", &[('8', "company directory")]);
}

#[test]
fn digits_as_words_and_numerals_mixed() {
    expect(
        "press seven for more options press 8 for hours and directions press nine to repeat",
        &[('7', "more options"), ('8', "hours and directions"), ('9', "repeat")],
    );
}

#[test]
fn a_homophone_menu() {
    expect(
        "press 1 for sales press to for support press tree for billing press for for hours press five for fax",
        &[('1', "sales"), ('2', "support"), ('3', "billing"), ('4', "hours"), ('5', "fax")],
    );
}

#[test]
fn homophones_with_labels_before_keys() {
    expect("for sales press won four support press too", &[('1', "sales"), ('2', "support")]);
}

#[test]
fn a_word_between_key_and_label() {
    expect("press one now for sales", &[('1', "sales")]);
}

#[test]
fn an_if_clause_after_the_last_key() {
    expect("press 1 if you'd like a callback", &[('1', "you'd like a callback")]);
}

#[test]
fn otherwise_closes_what_came_before() {
    expect(
        "if you know the extension of the person you are calling you may dial it now otherwise press 0",
        &[('0', "")],
    );
}

#[test]
fn commas_and_a_heading() {
    expect(
        "Main menu. Press 1 for sales, press 2 for service, or press 0 for the operator.",
        &[('1', "sales"), ('2', "service"), ('0', "operator")],
    );
}

#[test]
fn a_notice_before_the_menu() {
    expect(
        "please listen carefully as our menu options have changed press one for pharmacy press two for photo",
        &[('1', "pharmacy"), ('2', "photo")],
    );
}

#[test]
fn labels_before_keys_with_to() {
    expect(
        "to hear your balance press one to make a payment press two",
        &[('1', "hear your balance"), ('2', "make a payment")],
    );
}

// No options.

#[test]
fn thanks_for_your_query() {
    expect("thanks for your query", &[]);
}

#[test]
fn please_hold() {
    expect("please hold", &[]);
}

#[test]
fn your_call_is_important() {
    expect("your call is important to us please stay on the line for the next available agent", &[]);
}

#[test]
fn an_emergency_number_is_not_a_key() {
    expect("if this is an emergency please hang up and dial nine one one", &[]);
}

#[test]
fn entering_an_account_number_is_not_an_option() {
    expect("please enter your account number followed by the pound key", &[]);
}

#[test]
fn a_recording_notice() {
    expect("for quality and training purposes this call may be recorded", &[]);
}

#[test]
fn an_empty_transcript() {
    expect("", &[]);
}

#[test]
fn a_verb_at_the_end() {
    expect("when you hear the tone press", &[]);
}

// Phrases.

#[test]
fn phrases_are_the_words_an_option_came_from() {
    let found = extract_options("hello press one for sales, for support press 2");
    let phrases: Vec<&str> = found.iter().map(|option| option.phrase.as_str()).collect();
    assert_eq!(phrases, ["press one for sales", "for support press 2"]);
}

#[test]
fn options_serialise_as_json() {
    let found = extract_options("press star to repeat");
    assert_eq!(found, [MenuOption { key: '*', label: "repeat".into(), phrase: "press star to repeat".into() }]);
    let json = serde_json::to_string(&found[0]).unwrap();
    assert_eq!(json, r#"{"key":"*","label":"repeat","phrase":"press star to repeat"}"#);
}
