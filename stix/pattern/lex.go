package pattern

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind is the sort of a lexical token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokError
	tokIdent     // object type, property name, or a word that is not a keyword
	tokString    // '...'
	tokInt       // [+-]?(0|[1-9][0-9]*)
	tokFloat     // [+-]?[0-9]*.[0-9]+
	tokBinary    // b'...'
	tokHex       // h'...'
	tokTimestamp // t'...'
	tokBool      // true / false
	tokLParen
	tokRParen
	tokLBrack
	tokRBrack
	tokColon
	tokDot
	tokComma
	tokStar
	tokEQ
	tokNEQ
	tokLT
	tokLE
	tokGT
	tokGE
	tokKeyword // first keyword; the keywords follow
	tokAND
	tokOR
	tokNOT
	tokFOLLOWEDBY
	tokLIKE
	tokMATCHES
	tokISSUPERSET
	tokISSUBSET
	tokLAST
	tokIN
	tokSTART
	tokSTOP
	tokSECONDS
	tokWITHIN
	tokREPEATS
	tokTIMES
	tokEXISTS
)

var keywords = map[string]tokenKind{
	"AND": tokAND, "OR": tokOR, "NOT": tokNOT, "FOLLOWEDBY": tokFOLLOWEDBY,
	"LIKE": tokLIKE, "MATCHES": tokMATCHES, "ISSUPERSET": tokISSUPERSET,
	"ISSUBSET": tokISSUBSET, "LAST": tokLAST, "IN": tokIN, "START": tokSTART,
	"STOP": tokSTOP, "SECONDS": tokSECONDS, "WITHIN": tokWITHIN,
	"REPEATS": tokREPEATS, "TIMES": tokTIMES, "EXISTS": tokEXISTS,
}

// token is one lexical token: its kind, its byte offset in the input and
// its text (for tokError, the message).
type token struct {
	kind tokenKind
	pos  int
	text string
}

// describe names the token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of pattern"
	case tokError:
		return "error"
	}
	s := t.text
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	switch t.kind {
	case tokString, tokBinary, tokHex, tokTimestamp:
		return s // quoted already
	case tokIdent:
		if up := strings.ToUpper(s); keywords[up] != 0 {
			return "'" + s + "' (keywords are upper case: " + up + ")"
		}
		if low := strings.ToLower(s); low == "true" || low == "false" {
			return "'" + s + "' (booleans are lower case: " + low + ")"
		}
	}
	return "'" + s + "'"
}

// lexer turns a pattern into tokens. It is a state machine in the manner of
// text/template/parse: each state function scans some input and returns the
// next state.
type lexer struct {
	input  string
	start  int // start of the token being scanned
	pos    int // current position
	width  int // width of the last rune read by next
	tokens []token
}

type stateFn func(*lexer) stateFn

// lex scans all of input. The last token is tokEOF or tokError.
func lex(input string) []token {
	l := &lexer{input: input, tokens: make([]token, 0, len(input)/4+2)}
	for state := lexAny; state != nil; {
		state = state(l)
	}
	return l.tokens
}

const eof = -1

func (l *lexer) next() rune {
	if l.pos >= len(l.input) {
		l.width = 0
		return eof
	}
	r, w := rune(l.input[l.pos]), 1
	if r >= utf8.RuneSelf {
		r, w = utf8.DecodeRuneInString(l.input[l.pos:])
	}
	l.width = w
	l.pos += w
	return r
}

func (l *lexer) peek() rune {
	if l.pos >= len(l.input) {
		return eof
	}
	r, _ := utf8.DecodeRuneInString(l.input[l.pos:])
	return r
}

// backup steps back over the last rune read; it may be called once per
// call of next.
func (l *lexer) backup() { l.pos -= l.width }

func (l *lexer) emit(k tokenKind) {
	l.tokens = append(l.tokens, token{k, l.start, l.input[l.start:l.pos]})
	l.start = l.pos
}

// errorf emits an error token at offset pos and stops the scan.
func (l *lexer) errorf(pos int, msg string) stateFn {
	l.tokens = append(l.tokens, token{tokError, pos, msg})
	return nil
}

func lexAny(l *lexer) stateFn {
	for {
		r := l.next()
		switch {
		case r == eof:
			l.start = len(l.input)
			l.pos = len(l.input)
			l.emit(tokEOF)
			return nil
		case isSpace(r):
			l.start = l.pos
			continue
		case r == '/' && strings.HasPrefix(l.input[l.pos:], "*"):
			end := strings.Index(l.input[l.pos+1:], "*/")
			if end < 0 {
				return l.errorf(l.start, "unterminated comment")
			}
			l.pos += 1 + end + 2
			l.start = l.pos
			continue
		case r == '/' && strings.HasPrefix(l.input[l.pos:], "/"):
			end := strings.IndexAny(l.input[l.pos:], "\r\n")
			if end < 0 {
				end = len(l.input) - l.pos
			}
			l.pos += end
			l.start = l.pos
			continue
		}
		switch r {
		case '(':
			l.emit(tokLParen)
		case ')':
			l.emit(tokRParen)
		case '[':
			l.emit(tokLBrack)
		case ']':
			l.emit(tokRBrack)
		case ':':
			l.emit(tokColon)
		case ',':
			l.emit(tokComma)
		case '*':
			l.emit(tokStar)
		case '=':
			if l.peek() == '=' {
				l.next()
			}
			l.emit(tokEQ)
		case '!':
			if l.next() != '=' {
				return l.errorf(l.start, "unexpected '!' (want '!=')")
			}
			l.emit(tokNEQ)
		case '<':
			switch l.peek() {
			case '=':
				l.next()
				l.emit(tokLE)
			case '>':
				l.next()
				l.emit(tokNEQ)
			default:
				l.emit(tokLT)
			}
		case '>':
			if l.peek() == '=' {
				l.next()
				l.emit(tokGE)
			} else {
				l.emit(tokGT)
			}
		case '\'':
			return lexString
		case '.':
			if isDigit(l.peek()) {
				return lexNumber
			}
			l.emit(tokDot)
		default:
			switch {
			case r == '+' || r == '-' || isDigit(r):
				return lexNumber
			case isIdentStart(r):
				return lexWord
			}
			return l.errorf(l.start, "unexpected character "+quoteRune(r))
		}
		return lexAny
	}
}

// lexString scans a quoted string; the opening quote is consumed. Only \'
// and \\ are escapes.
func lexString(l *lexer) stateFn {
	for {
		switch l.next() {
		case eof:
			return l.errorf(l.start, "unterminated string")
		case '\\':
			at := l.pos - 1
			if r := l.next(); r != '\'' && r != '\\' {
				return l.errorf(at, "invalid escape in string (only \\' and \\\\ are allowed)")
			}
		case '\'':
			l.emit(tokString)
			return lexAny
		}
	}
}

// lexNumber scans an int or float; the first character is consumed.
func lexNumber(l *lexer) stateFn {
	l.pos = l.start
	if r := l.peek(); r == '+' || r == '-' {
		l.next()
	}
	digits := l.pos
	for isDigit(l.peek()) {
		l.next()
	}
	intPart := l.input[digits:l.pos]
	kind := tokInt
	if l.peek() == '.' {
		l.next()
		frac := l.pos
		for isDigit(l.peek()) {
			l.next()
		}
		if l.pos == frac {
			return l.errorf(l.start, "malformed number "+quote(l.input[l.start:l.pos]))
		}
		kind = tokFloat
	} else if intPart == "" {
		return l.errorf(l.start, "malformed number "+quote(l.input[l.start:l.pos]))
	}
	if kind == tokInt && len(intPart) > 1 && intPart[0] == '0' {
		return l.errorf(l.start, "malformed number "+quote(l.input[l.start:l.pos])+" (leading zero)")
	}
	// As in the grammar, a number ends where its digits do: "5SECONDS"
	// is 5 and SECONDS.
	l.emit(kind)
	return lexAny
}

// lexWord scans an identifier, keyword, boolean, or the prefix of a b'...',
// h'...' or t'...' literal.
func lexWord(l *lexer) stateFn {
	for {
		r := l.next()
		if !(isIdentStart(r) || isDigit(r) || r == '-') {
			l.backup()
			break
		}
	}
	word := l.input[l.start:l.pos]
	if len(word) == 1 && l.peek() == '\'' {
		var kind tokenKind
		switch word {
		case "b":
			kind = tokBinary
		case "h":
			kind = tokHex
		case "t":
			kind = tokTimestamp
		}
		if kind != 0 {
			l.next()
			end := strings.IndexByte(l.input[l.pos:], '\'')
			if end < 0 {
				return l.errorf(l.start, "unterminated "+word+"'' literal")
			}
			l.pos += end + 1
			l.emit(kind)
			return lexAny
		}
	}
	// Keywords are upper case and booleans lower case, as in the
	// grammar; other spellings are identifiers (and errors name them).
	if k, ok := keywords[word]; ok {
		l.emit(k)
		return lexAny
	}
	if word == "true" || word == "false" {
		l.emit(tokBool)
		return lexAny
	}
	l.emit(tokIdent)
	return lexAny
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.IsSpace(r)
}
func isDigit(r rune) bool { return r >= '0' && r <= '9' }
func isIdentStart(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_'
}

func quoteRune(r rune) string {
	if r == '\'' {
		return `"'"`
	}
	if unicode.IsPrint(r) {
		return "'" + string(r) + "'"
	}
	return strconv.QuoteRune(r)
}

func quote(s string) string { return "'" + s + "'" }
