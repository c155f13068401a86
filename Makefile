# The two commands users type: `make demo` and `make test`. Everything else is meson/ninja.
BUILD    ?= build
SANITIZE ?= 0
FUZZ_SECONDS ?= 60

ifeq ($(SANITIZE),1)
BUILD := build-sanitize
MESON_OPTS += -Dsanitize=true
# Without KVM the KVM tests run in a nested guest on TCG (docs/testing.md), slowly: the plain
# run does that; CI's 90 minutes do not hold it twice.
export DSV_NESTED_KVM ?= 0
endif

.PHONY: all deps build test demo fuzz format clean help

all: build

help:
	@echo "make demo       install what is missing, build, run the main job (dsv bench interference --quick)"
	@echo "make test       build and run the whole suite (unit, KVM integration, lwk, agent)"
	@echo "make test SANITIZE=1   the same with ASan+UBSan host programs (in build-sanitize/)"
	@echo "make fuzz FUZZ_SECONDS=N   run every libFuzzer target for N seconds (clang)"
	@echo "make build      just build, into $(BUILD)/"
	@echo "make format     rewrite the C sources in the house style (.clang-format)"

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

test: build
	@scripts/start-services.sh
	@scripts/run-tests.sh $(BUILD)

demo: build
	@scripts/start-services.sh
	@scripts/demo.sh $(BUILD)

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# Every C file the project owns, in .clang-format's style (the check is the test "format").
format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-sanitize build-fuzz
