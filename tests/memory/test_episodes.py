"""Episodes split where the user turned to something else: app, window, pause, or topic."""

from datetime import UTC, datetime, timedelta

from memory import Observation
from memory.episodes import segment, similarity, summary
from memory.managers import make_batches

T0 = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)

CURL = """\
curl(1)                               curl Manual                               curl(1)
NAME
       curl - transfer a URL
SYNOPSIS
       curl [options / URLs]
DESCRIPTION
       curl is a tool for transferring data from or to a server. It supports these pro-
       tocols: DICT, FILE, FTP, FTPS, GOPHER, GOPHERS, HTTP, HTTPS, IMAP, IMAPS, LDAP,
       LDAPS, MQTT, POP3, POP3S, RTMP, RTMPS, RTSP, SCP, SFTP, SMB, SMBS, SMTP, SMTPS,
       TELNET, TFTP, WS and WSS. The command is designed to work without user interac-
       tion.
       curl offers a busload of useful tricks like proxy support, user authentication,
       FTP upload, HTTP post, SSL connections, cookies, file transfer resume and more.
       curl is powered by libcurl for all transfer-related features. See libcurl(3) for
       details.
URL
       The URL syntax is protocol-dependent. You find a detailed description in RFC
       3986.
       You can specify multiple URLs or parts of URLs by writing part sets within
       braces and quoting the URL as in:
         "http://site.{one,two,three}.com"
       or you can get sequences of alphanumeric series by using [] as in:
         "ftp://ftp.example.com/file[1-100].txt"
       You can specify any amount of URLs on the command line. They will be fetched in
       a sequential manner in the specified order. You can specify command line options
       and URLs mixed and in any order on the command line.
       If you specify URL without protocol:// prefix, curl will attempt to guess what
       protocol you might want. It will then default to HTTP but try other protocols
       based on often-used host name prefixes. For example, for host names starting
       with "ftp." curl will assume you want to speak FTP.
       curl will attempt to re-use connections for multiple file transfers, so that
       getting many files from the same server will not do multiple connects / hand-
       shakes. This improves speed. Connection re-use can only be done for URLs
       specified for a single command line and cannot be performed between separate
       curl runs.
PROGRESS METER
       curl normally displays a progress meter during operations, indicating the
       amount of transferred data, transfer speeds and estimated time left.
""".splitlines()

BASH = """\
Bash Reference Manual — 1 Introduction
1.1 What is Bash?
Bash is the shell, or command language interpreter, of the GNU operating system.
Its name is an acronym for the Bourne-Again SHell, after Stephen Bourne, who wrote
sh, the ancestor of the Unix shell that first appeared in the Seventh Edition of
Research Unix. Bash is largely compatible with sh and takes useful features from
the Korn shell ksh and the C shell csh.
1.2 What is a shell?
At its base, a shell is a macro processor that executes commands. A Unix shell is
both a command interpreter and a programming language. As an interpreter, the shell
gives users a rich set of GNU utilities; as a programming language, it lets them
combine these utilities. Files containing commands can be made into shell scripts,
which become commands themselves. Shells may be used interactively or
non-interactively: in interactive mode they accept input typed from the keyboard,
and in non-interactive mode they execute commands read from a script.
Shells also provide a small set of builtin commands, such as cd, break, continue and
exec, that implement functionality impossible or inconvenient to get with separate
utilities. Variables, flow control constructs, quoting and functions complete the
programming language; job control, command line editing, history and aliases make
interactive use comfortable.
""".splitlines()

ZH = ("北京是中华人民共和国的首都，也是全国的政治、文化和国际交往中心。北京历史悠久，"
      "有三千多年的建城史和八百多年的建都史。故宫、天坛和长城都是著名的名胜古迹，每年吸引大量游客。")
RU = ("Москва — столица России, крупнейший по численности населения город страны. Город стоит на "
      "реке Москве в центре Восточно-Европейской равнины. Кремль, Красная площадь и Большой театр "
      "известны во всём мире, а метро перевозит миллионы пассажиров каждый день.")


def seen(texts, app="Konsole", title="bash", step=timedelta(seconds=20)):
    return [Observation(id=n + 1, time=T0 + n * step, app=app, title=title, text=text)
            for n, text in enumerate(texts)]


def screens(lines, height=14, scroll=8):
    return ["\n".join(lines[at:at + height]) for at in range(0, len(lines) - height + 1, scroll)]


def test_a_window_titled_bash_that_moves_from_the_curl_manual_to_the_bash_introduction_is_two_episodes():
    observations = seen(screens(CURL) + screens(BASH, scroll=6))
    parts = segment(observations)
    assert [len(p.observations) for p in parts] == [4, 2]
    assert [p.cause for p in parts] == ["start", "topic"]
    assert parts[1].observations[0].text.startswith("Bash Reference Manual")


def test_a_window_that_scrolls_through_one_document_stays_one_episode():
    for scroll in (3, 8, 12):  # a few lines, more, a whole screen turned
        observations = seen(screens(CURL, height=12, scroll=scroll))
        assert len(observations) >= 3
        assert [p.cause for p in segment(observations)] == ["start"]


def test_a_chinese_page_followed_by_a_russian_one_under_one_title_is_two_episodes():
    pages = [ZH, ZH + "\n北京的胡同和四合院是传统的居住方式。", RU, RU + "\nМГУ основан в 1755 году."]
    observations = seen(pages, app="Firefox", title="Wikipedia — Mozilla Firefox")
    parts = segment(observations)
    assert [[o.id for o in p.observations] for p in parts] == [[1, 2], [3, 4]]
    assert parts[1].cause == "topic"
    assert similarity([ZH], RU) == 0.0


def test_app_window_and_pause_each_start_an_episode_and_counters_in_titles_do_not():
    observations = [
        Observation(id=1, time=T0, app="Thunderbird", title="(3) Inbox", text="Re: budget"),
        Observation(id=2, time=T0 + timedelta(minutes=1), app="Thunderbird", title="(4) Inbox",
                    text="Re: budget, again"),
        Observation(id=3, time=T0 + timedelta(minutes=2), app="Thunderbird", title="Drafts", text="Dear Anna"),
        Observation(id=4, time=T0 + timedelta(minutes=3), app="Konsole", title="Drafts", text="$ ls"),
        Observation(id=5, time=T0 + timedelta(minutes=30), app="Konsole", title="Drafts", text="$ ls -l"),
    ]
    parts = segment(observations)
    assert [([o.id for o in p.observations], p.cause) for p in parts] == [
        ([1, 2], "start"), ([3], "window"), ([4], "app"), ([5], "idle")]
    assert [p.cause for p in segment(observations, gap=timedelta(hours=1))] == ["start", "window", "app"]


def test_short_screens_and_the_turns_of_a_conversation_are_not_split_by_topic():
    turns = ["Caroline: I went to the LGBTQ support group yesterday and it was so powerful, everyone there "
             "told their own story about coming out to their families and friends, and I felt accepted",
             "Melanie: Wow, that is wonderful! I spent the whole weekend painting a sunrise over the lake "
             "with my kids, we used acrylics and watercolours, the youngest one painted ducks on the water",
             "Caroline: I am researching adoption agencies now, I want to give a child a loving home"]
    assert [p.cause for p in segment(seen(turns, app="Chat", title="Melanie"))] == ["start"]
    assert [p.cause for p in segment(seen(["$ ls", "Makefile  README.md", "$ cd src"]))] == ["start"]


def test_an_episode_summary_is_its_most_central_sentence():
    observations = seen(screens(CURL)[:3])
    assert summary(observations) == "curl - transfer a URL"
    assert summary(seen(screens(BASH))) == "A Unix shell is both a command interpreter and a programming language."
    assert summary(seen(["Re: budget", "Re: budget, again"])) == "Re: budget"
    assert summary(seen(["trip: Lisbon 14 March", "pack the charger"])) == "trip: Lisbon 14 March"
    inbox = ["Inbox", "Inbox\nAnna Keller — Release date moved to 14 December.",
             "Inbox\nAnna Keller — Release date moved to 14 December.\nHetzner — Invoice 5512 is ready."]
    assert summary(seen(inbox)) == "Anna Keller — Release date moved to 14 December."  # not the heading
    assert summary(seen(["", "  "])) == ""


def test_the_memory_managers_batches_never_straddle_two_topics_and_keep_their_size_cap():
    observations = seen(screens(CURL, scroll=3) + screens(BASH, scroll=2))
    assert [len(o) for o in (screens(CURL, scroll=3), screens(BASH, scroll=2))] == [9, 4]
    batches = make_batches(observations, max_observations=4)
    assert [b.ids for b in batches] == [[1, 2, 3, 4], [5, 6, 7, 8], [9], [10, 11, 12, 13]]


def test_sentences_join_the_lines_a_window_wrapped_and_keep_headings_apart():
    from memory.episodes import sentences

    assert sentences(CURL[5] + "\n" + "\n".join(CURL[6:11])) == [
        "DESCRIPTION",
        "curl is a tool for transferring data from or to a server.",
        "It supports these protocols: DICT, FILE, FTP, FTPS, GOPHER, GOPHERS, HTTP, HTTPS, IMAP, IMAPS, LDAP,",
        "LDAPS, MQTT, POP3, POP3S, RTMP, RTMPS, RTSP, SCP, SFTP, SMB, SMBS, SMTP, SMTPS,",
        "TELNET, TFTP, WS and WSS.", "The command is designed to work without user interaction."]
    assert sentences(ZH)[1] == "北京历史悠久，有三千多年的建城史和八百多年的建都史。"
