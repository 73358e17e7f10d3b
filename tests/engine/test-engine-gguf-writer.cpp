// The GGUF writer: every value type and tensor survives write -> read unchanged, the layout
// honours the alignment, files are written atomically, and re-writing each conformance file
// reproduces what it holds.
#include <filesystem>

#include "gguf-test-util.hpp"
#include "moe/errors.hpp"
#include "moe/gguf-writer.hpp"
#include "moe/gguf.hpp"

#include <QtTest>

namespace fs = std::filesystem;
using V = moe::GgufWriteValue;
using moe::GgufType;

class TestGgufWriter : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void roundTripsEveryValueType() {
    const moe::GgufWriter w = gguf_test::sample_writer();
    moe::GgufLayout layout;
    const std::vector<std::byte> bytes = w.to_bytes(&layout);
    QCOMPARE(layout.file_size, bytes.size());
    const auto f = moe::GgufFile::from_memory(bytes, "sample.gguf");
    QCOMPARE(f->version(), 3u);
    QCOMPARE(f->alignment(), 32u);
    QCOMPARE(f->data_offset(), layout.data_offset);
    QCOMPARE(f->metadata().size(), w.kv_count());

    QCOMPARE(f->get_u32("test.u8"), 200u);
    QCOMPARE(f->get_i64("test.i8"), int64_t{-100});
    QCOMPARE(f->get_u32("test.u16"), 60000u);
    QCOMPARE(f->get_i64("test.i16"), int64_t{-30000});
    QCOMPARE(f->get_u32("test.u32"), 4000000000u);
    QCOMPARE(f->get_i64("test.i32"), int64_t{-2000000000});
    QCOMPARE(f->get_u64("test.u64"), uint64_t{1} << 60);
    QCOMPARE(f->get_i64("test.i64"), -(int64_t{1} << 60));
    QCOMPARE(f->get_f32("test.f32"), 0.15625f);
    QCOMPARE(std::get<double>(f->find("test.f64")->v), -2.5e-300);
    QCOMPARE(f->find("test.f64")->type, GgufType::F64);
    QCOMPARE(f->get_bool("test.bool"), true);
    QCOMPARE(f->get_string("test.empty_string"), std::string_view());
    QCOMPARE(f->get_string("general.name"), std::string_view("sample \xc3\xa9\xe2\x86\x92 model"));
    QCOMPARE(f->get_i32_array("test.i32_array"), (std::vector<int32_t>{1, -2, 3}));
    QCOMPARE(f->get_array("test.empty_array").count, uint64_t{0});
    QCOMPARE(f->get_array("test.empty_array").elem_type, GgufType::F32);
    QCOMPARE(f->get_array("test.bool_array").count, uint64_t{2});
    const auto strings = f->get_string_array("test.string_array");
    QCOMPARE(strings.size(), size_t{4});
    QCOMPARE(strings[1], std::string_view());
    QCOMPARE(strings[2], std::string_view("\xe4\xb8\xad"));
    const moe::GgufArray& nested = f->get_array("test.nested");
    QCOMPARE(nested.elem_type, GgufType::ARRAY);
    QCOMPARE(nested.nested.size(), size_t{3});
    const auto& inner2 = *std::get<std::shared_ptr<const moe::GgufArray>>(nested.nested[2].v);
    QCOMPARE(inner2.elem_type, GgufType::ARRAY);
    const auto& innermost = *std::get<std::shared_ptr<const moe::GgufArray>>(inner2.nested[0].v);
    QCOMPARE(innermost.elem_type, GgufType::I64);
    QCOMPARE(innermost.count, uint64_t{1});

    // Every value, deep, equals a copy taken through GgufWriteValue::from and written again.
    moe::GgufWriter again;
    again.copy_from(f);
    const std::vector<std::byte> bytes2 = again.to_bytes();
    QVERIFY2(bytes2 == bytes, "copy_from + to_bytes must reproduce the file byte for byte");

    QCOMPARE(f->tensors().size(), size_t{4});
    for (size_t i = 0; i < f->tensors().size(); ++i) {
      const moe::TensorInfo& t = f->tensors()[i];
      QCOMPARE(static_cast<size_t>(t.data - bytes.data()), layout.tensor_data_offsets[i]);
      QCOMPARE(t.offset % 32, uint64_t{0});
    }
    const moe::TensorInfo* exps = f->find_tensor("blk.0.ffn_gate_exps.weight");
    QVERIFY(exps);
    QCOMPARE(exps->type, moe::kern::GgmlType::Q8_0);
    QCOMPARE(exps->shape_string(), std::string("[64, 8, 4]"));
    const auto expected = gguf_test::random_bytes(2 * 34 * 8 * 4, 3);
    QCOMPARE(exps->nbytes, expected.size());
    QVERIFY(std::memcmp(exps->data, expected.data(), expected.size()) == 0);
  }

  void honoursAlignment_data() {
    QTest::addColumn<uint32_t>("alignment");
    for (uint32_t a : {1u, 2u, 8u, 32u, 64u, 4096u}) QTest::newRow(std::to_string(a).c_str()) << a;
  }
  void honoursAlignment() {
    QFETCH(uint32_t, alignment);
    moe::GgufWriter w = gguf_test::sample_writer();
    w.set_alignment(alignment);
    moe::GgufLayout layout;
    const auto bytes = w.to_bytes(&layout);
    QCOMPARE(layout.data_offset % alignment, size_t{0});
    QVERIFY(layout.data_offset >= layout.tensor_infos_end && layout.data_offset - layout.tensor_infos_end < alignment);
    for (size_t i = layout.tensor_infos_end; i < layout.data_offset; ++i) QCOMPARE(bytes[i], std::byte{0});
    const auto f = moe::GgufFile::from_memory(bytes, "aligned.gguf");
    QCOMPARE(f->alignment(), alignment);
    QCOMPARE(f->get_u32("general.alignment"), alignment);
    for (const moe::TensorInfo& t : f->tensors()) {
      QCOMPARE(t.offset % alignment, uint64_t{0});
      QCOMPARE(static_cast<size_t>(t.data - bytes.data()) % alignment, size_t{0});
    }
  }

  void metadataOnlyFile() {
    moe::GgufWriter w;
    w.set("general.architecture", V::string("llama"));
    const auto bytes = w.to_bytes();
    const auto f = moe::GgufFile::from_memory(bytes, "vocab-only.gguf");
    QCOMPARE(f->tensors().size(), size_t{0});
    QCOMPARE(f->get_string("general.architecture"), std::string_view("llama"));
    QVERIFY(f->data_offset() <= f->file_size());
  }

  void setReplacesInPlace() {
    moe::GgufWriter w;
    w.set("a.one", V::u32(1));
    w.set("a.two", V::u32(2));
    w.set("a.one", V::string("replaced"));
    QCOMPARE(w.kv_count(), size_t{2});
    const auto bytes = w.to_bytes();
    const auto f = moe::GgufFile::from_memory(bytes, "replace.gguf");
    QCOMPARE(f->metadata()[0].first, std::string_view("a.one"));
    QCOMPARE(f->get_string("a.one"), std::string_view("replaced"));
    w.remove("a.one");
    QCOMPARE(w.kv_count(), size_t{1});
  }

  void writesFilesAtomically() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path target = fs::path(dir.path().toStdString()) / "out.gguf";
    const moe::GgufWriter w = gguf_test::sample_writer();
    w.write_file(target);
    const auto f = moe::GgufFile::open(target);
    const auto mem_bytes = w.to_bytes();
    const auto mem = moe::GgufFile::from_memory(mem_bytes, "mem.gguf");
    QVERIFY2(gguf_test::file_diff(*f, *mem).empty(), gguf_test::file_diff(*f, *mem).c_str());
    // Overwriting replaces the file whole and leaves no temporary behind.
    moe::GgufWriter small;
    small.set("general.architecture", V::string("llama"));
    small.write_file(target);
    QCOMPARE(moe::GgufFile::open(target)->metadata().size(), size_t{1});
    QCOMPARE(std::distance(fs::directory_iterator(target.parent_path()), fs::directory_iterator()), 1);
    try {
      w.write_file(target.parent_path() / "no-such-dir" / "x.gguf");
      QFAIL("expected an IoError");
    } catch (const moe::IoError& e) {
      QVERIFY2(QString(e.what()).contains("no-such-dir/x.gguf"), e.what());
    }
  }

  void refusesInconsistentInput() {
    moe::GgufWriter w;
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.set("", V::u8(1)));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.set(std::string("a\0b", 3), V::u8(1)));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.set("bad\xff", V::u8(1)));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.set_alignment(48));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.set_alignment(0));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.set("general.alignment", V::u64(32)));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, V::array(GgufType::U8, {V::u8(1), V::u16(2)}));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.set("a.b", V{GgufType::STRING, uint64_t{1}}));
    const int64_t dims[] = {32, 2};
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.add_tensor("t", moe::kern::GgmlType::F32, dims, std::vector<std::byte>(10)));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.add_tensor("t", moe::kern::GgmlType::Q4_K, dims, std::vector<std::byte>(10)));
    w.add_tensor("t", moe::kern::GgmlType::F32, dims, std::vector<std::byte>(256));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.add_tensor("t", moe::kern::GgmlType::F32, dims, std::vector<std::byte>(256)));
    const int64_t zero[] = {0};
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.add_tensor("z", moe::kern::GgmlType::F32, zero, {}));
    QVERIFY_THROWS_EXCEPTION(moe::GgufError, w.add_tensor("e", moe::kern::GgmlType::F32, std::span<const int64_t>(), {}));
  }

  void rewritesConformanceFiles_data() {
    QTest::addColumn<QString>("path");
    for (const char* sub : {"models", "vocab"}) {
      const fs::path dir = gguf_test::shared_dir() / sub;
      QVERIFY2(fs::is_directory(dir), "conformance data missing: ../shared must be beside the checkout");
      for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".gguf")
          QTest::newRow((std::string(sub) + "/" + e.path().filename().string()).c_str())
              << QString::fromStdString(e.path().string());
    }
  }
  void rewritesConformanceFiles() {
    QFETCH(QString, path);
    const auto original = moe::GgufFile::open(path.toStdString());
    moe::GgufWriter w;
    w.copy_from(original);
    const auto bytes = w.to_bytes();
    const auto copy = moe::GgufFile::from_memory(bytes, "rewritten.gguf");
    const std::string diff = gguf_test::file_diff(*original, *copy);
    QVERIFY2(diff.empty(), diff.c_str());
    QCOMPARE(copy->alignment(), original->alignment());
    QCOMPARE(copy->data_offset(), original->data_offset());
    // llama.cpp lays files out the same way (aligned offsets in file order, zero padding): the
    // bytes must match the original exactly.
    const auto orig_bytes = gguf_test::read_bytes(path.toStdString());
    QCOMPARE(bytes.size(), orig_bytes.size());
    QVERIFY(bytes == orig_bytes);
    // The streaming file writer produces the same bytes (tensor data straight from the mapping).
    QTemporaryDir dir;
    const fs::path out = fs::path(dir.path().toStdString()) / "rewritten.gguf";
    w.write_file(out);
    QVERIFY(gguf_test::read_bytes(out) == orig_bytes);
  }
};

QTEST_APPLESS_MAIN(TestGgufWriter)
#include "test-engine-gguf-writer.moc"
