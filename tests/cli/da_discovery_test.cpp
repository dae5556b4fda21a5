// Finding a Download Agent without --da (app/da_discovery.h) on fake directories, and choosing among the
// files found by the connected chip's hw code (da/da_source.h).
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "app/da_discovery.h"
#include "da/errors.h"
#include "sim/image/synthetic_da.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {
namespace {

namespace fs = std::filesystem;
namespace image = sim::image;

void write_da(const fs::path& path, std::uint16_t hw_code = 0x8590) {
  fs::create_directories(path.parent_path());
  image::SyntheticDaOptions options;
  options.entries.front().hw_code = hw_code;
  const auto bytes = image::build_synthetic_da(options);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

class DaDiscovery : public ::testing::Test {
 protected:
  cli::DaSearchEnvironment env() const {
    cli::DaSearchEnvironment e;
    e.getenv = [this](const char* name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
    e.root = dir / "root";
    e.home = dir / "home";
    return e;
  }
  std::vector<fs::path> found() const {
    std::vector<fs::path> paths;
    for (const auto& c : cli::find_da_files(env()).candidates) paths.push_back(c.path);
    return paths;
  }

  TempDir dir;
  std::map<std::string, std::string> vars;
};

TEST_F(DaDiscovery, LooksInTheDocumentedOrderAndTakesOnlyDaFileNames) {
  const fs::path named = dir / "elsewhere/my-da.bin";
  const fs::path user = dir / "home/.local/share/mtkfs/MTK_AllInOne_DA_5.2136.bin";
  const fs::path local = dir / "root/usr/local/share/mtkfs/MTK_DA_V5.bin";
  const fs::path system = dir / "root/usr/share/mtkfs/MTK_AllInOne_DA.bin";
  const fs::path checkout = dir / "src/mtkclient/mtkclient/Loader/MTK_AllInOne_DA_5.2228.bin";
  const fs::path user_pip = dir / "home/.local/lib/python3.11/site-packages/mtkclient/Loader/MTK_DA_V6.bin";
  const fs::path pipx =
      dir / "home/.local/pipx/venvs/mtkclient/lib/python3.11/site-packages/mtkclient/Loader/MTK_DA_V5.bin";
  const fs::path debian = dir / "root/usr/lib/python3/dist-packages/mtkclient/Loader/MTK_AllInOne_DA_5.2152.bin";
  for (const auto& p : {named, user, local, system, checkout, user_pip, pipx, debian}) write_da(p);
  write_da(dir / "root/usr/share/mtkfs/notes.bin");           // not a DA file name
  write_da(dir / "root/usr/share/mtkfs/MTK_AllInOne_DA.txt");  // nor this
  vars["MTKFS_DA"] = named.string();
  vars["MTKCLIENT_DIR"] = (dir / "src/mtkclient").string();
  EXPECT_EQ(found(), (std::vector<fs::path>{named, user, local, system, checkout, user_pip, pipx, debian}));

  // $XDG_DATA_HOME moves the user's directory; $MTKFS_DA may name a directory.
  const fs::path xdg = dir / "xdg/mtkfs/MTK_AllInOne_DA_x.bin";
  write_da(xdg);
  vars["XDG_DATA_HOME"] = (dir / "xdg").string();
  vars["MTKFS_DA"] = (dir / "elsewhere").string();
  vars.erase("MTKCLIENT_DIR");
  EXPECT_EQ(found(), (std::vector<fs::path>{xdg, local, system, user_pip, pipx, debian}));
}

TEST_F(DaDiscovery, EveryPlaceLookedAtIsListedOnce) {
  const auto search = cli::find_da_files(env());
  EXPECT_TRUE(search.candidates.empty());
  ASSERT_GE(search.places.size(), 4u);
  EXPECT_NE(search.places[0].find("home/.local/share/mtkfs"), std::string::npos) << search.places[0];
  for (std::size_t i = 0; i < search.places.size(); ++i)
    for (std::size_t j = i + 1; j < search.places.size(); ++j) EXPECT_NE(search.places[i], search.places[j]);
}

TEST_F(DaDiscovery, SaveDaChecksTheFileAndCopiesItWhereTheSearchLooksFirst) {
  write_da(dir / "dl/MTK_AllInOne_DA.bin");
  const fs::path saved = cli::save_da(dir / "dl/MTK_AllInOne_DA.bin", env());
  EXPECT_EQ(saved, dir / "home/.local/share/mtkfs/MTK_AllInOne_DA.bin");
  EXPECT_EQ(found(), std::vector<fs::path>{saved});

  write_da(dir / "dl/other_chip.bin", 0x6580);
  EXPECT_THROW(cli::save_da(dir / "dl/other_chip.bin", env()), da::DaFileError);
  std::ofstream(dir / "dl/junk.bin") << "not a download agent";
  EXPECT_THROW(cli::save_da(dir / "dl/junk.bin", env()), da::DaFileError);
  EXPECT_EQ(found(), std::vector<fs::path>{saved});  // nothing unusable was saved
}

TEST_F(DaDiscovery, TheFirstFileWithAnEntryForTheChipIsChosen) {
  write_da(dir / "a/MTK_DA_other.bin", 0x6580);
  write_da(dir / "a/MTK_DA_walkman.bin", 0x8590);
  da::DaSource source({{dir / "a/MTK_DA_other.bin", "test"}, {dir / "a/MTK_DA_walkman.bin", "test"}}, {"a"});
  const da::DaFile& chosen = source.choose(0x8590, 0xCB01, 0x0102);
  EXPECT_EQ(chosen.name, (dir / "a/MTK_DA_walkman.bin").string());
  ASSERT_TRUE(source.found());
  EXPECT_NE(source.found()->find("MTK_DA_walkman.bin (found in test)"), std::string::npos);
}

TEST_F(DaDiscovery, NoFittingFileNamesEveryCandidateThePlacesAndTheFix) {
  write_da(dir / "a/MTK_DA_other.bin", 0x6580);
  da::DaSource wrong({{dir / "a/MTK_DA_other.bin", "test"}}, {"place one", "place two"});
  try {
    wrong.choose(0x8590, 0xCB01, 0x0102);
    FAIL() << "a DA without an entry for 0x8590 was chosen";
  } catch (const da::DaFileError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("MTK_DA_other.bin"), std::string::npos) << text;
    EXPECT_NE(text.find("0x6580"), std::string::npos) << text;  // what it does have
    EXPECT_NE(text.find("place two"), std::string::npos) << text;
    EXPECT_NE(text.find("mtkfs --save-da"), std::string::npos) << text;
  }
  da::DaSource none({}, {"place one"});
  EXPECT_THROW(none.choose(0x8590, 0, 0), da::DaFileError);
}

}  // namespace
}  // namespace mtkfs::testing
