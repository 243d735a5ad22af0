"""Issue 31: who is in the picture, read from a query: given names (whole,
case aside, longest first), their negations and "just", and counts."""
from mediasearch.search.read_people import about_people, find_counts, find_people

NAMED = {"Mary Lou Williams": 1, "Mary": 2, "Ben": 3}


def test_names_are_read_whole_longest_first_with_negation_and_just():
    found = find_people("mary lou williams and Mary without Ben", NAMED)
    assert [(f.person_id, f.negated) for f in found] == [(1, False), (2, False), (3, True)]
    assert find_people("just Mary at the piano", NAMED)[0].alone
    assert find_people("Benjamin's bike", NAMED) == []  # a name is a whole word
    assert [f.person_id for f in find_people("Ben's birthday", NAMED)] == [3]


def test_counts_of_people():
    assert [c.faces for c in find_counts("two people on a bench")] == [(2, 2)]
    assert [c.faces for c in find_counts("a group photo at the wedding")] == [(3, None)]
    assert [c.faces for c in find_counts("a beach with no people")] == [(0, 0)]
    assert [c.faces for c in find_counts("a selfie")] == [(1, 1)]
    assert find_counts("a dog on the beach") == []


def test_a_query_only_about_people_is_answered_by_faces_and_others_by_the_model():
    assert all(about_people(q) for q in ("a man", "kids having fun", "a crowd", "two women smiling"))
    assert not any(about_people(q) for q in ("a man riding an elephant", "a dog", "a girl in a pink dress", ""))


def test_one_word_of_a_name_is_the_person_when_it_is_theirs_alone_and_capitalised():
    named = {"Barack Obama": 2, "Rose Miller": 4, "Mary Lou Williams": 5, "Mary Smith": 6}
    assert [(f.person_id, f.name) for f in find_people("Obama at the beach", named)] == [(2, "Barack Obama")]
    assert find_people("a rose garden", named) == []          # the flower, not Rose Miller
    assert [f.person_id for f in find_people("Rose at the party", named)] == [4]
    assert find_people("Mary at home", named) == []            # two Marys: nobody is guessed
    assert [f.person_id for f in find_people("Williams", named)] == [5]
